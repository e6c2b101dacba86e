package alerts

import (
	"context"
	"errors"
	"testing"

	"github.com/leakwatch/leakwatch"
)

type publisherFunc func(context.Context, []leakwatch.Alert) error

func (f publisherFunc) PublishAlerts(ctx context.Context, as []leakwatch.Alert) error {
	return f(ctx, as)
}

// kafkaErr mimics kafka-go's error codes, which say whether they are temporary.
type kafkaErr struct{ temporary bool }

func (e kafkaErr) Error() string   { return "kafka error" }
func (e kafkaErr) Temporary() bool { return e.temporary }

func TestPublisherNotifier(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantRetry bool
	}{
		{"published", nil, false},
		{"temporary broker error", kafkaErr{temporary: true}, true},
		{"permanent broker error", kafkaErr{temporary: false}, false},
		{"wrapped permanent error", errors.Join(errors.New("write alerts"), kafkaErr{temporary: false}), false},
		{"other error", errors.New("connection reset"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []leakwatch.Alert
			n := PublisherNotifier{Name: "leakwatch.alerts.v1", P: publisherFunc(func(_ context.Context, as []leakwatch.Alert) error {
				got = as
				return tc.err
			})}
			retry, err := n.Notify(context.Background(), leakAlert("a"), leakAlert("b"))
			if retry != tc.wantRetry || !errors.Is(err, tc.err) {
				t.Errorf("Notify = (%v, %v), want (%v, %v)", retry, err, tc.wantRetry, tc.err)
			}
			if len(got) != 2 || got[1].ID != "b" {
				t.Errorf("published %v", got)
			}
		})
	}
}
