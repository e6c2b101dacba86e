package alerts

import (
	"context"
	"errors"
	"fmt"

	"github.com/leakwatch/leakwatch"
)

// Publisher writes alerts to a log such as a Kafka topic, for code that forwards alerts to a
// log of its own: one method, so this package needs no Kafka client.
type Publisher interface {
	PublishAlerts(ctx context.Context, alerts []leakwatch.Alert) error
}

// PublisherNotifier delivers alerts through a Publisher.
type PublisherNotifier struct {
	Name string // for errors, e.g. the topic
	P    Publisher
}

// Notify publishes all alerts in one call. An error is retried unless it says it is not
// temporary (kafka-go's errors carry Temporary()) or the caller's context ended.
func (n PublisherNotifier) Notify(ctx context.Context, alerts ...leakwatch.Alert) (bool, error) {
	if len(alerts) == 0 {
		return false, nil
	}
	err := n.P.PublishAlerts(ctx, alerts)
	if err == nil {
		return false, nil
	}
	retry := ctx.Err() == nil
	var t interface{ Temporary() bool }
	if errors.As(err, &t) && !t.Temporary() {
		retry = false
	}
	return retry, fmt.Errorf("publish %s: %w", n.Name, err)
}
