package twitter

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/leakwatch/leakwatch/collectors"
)

// Options are what a twitter source takes from its environment. Zero values work.
type Options struct {
	HTTP    *http.Client // no Timeout: a stream stays open for days; stalls are detected by StallTimeout
	Log     *slog.Logger
	Metrics *collectors.Metrics
	Now     func() time.Time
}

func (o Options) withDefaults() Options {
	if o.HTTP == nil {
		o.HTTP = &http.Client{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
