package alerts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/alerts"
)

// A consumer's webhook endpoint: read the raw body, verify it, only then decode it.
func ExampleVerify() {
	secret := []byte("the shared secret") // in production: from a file or the environment

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read error", http.StatusBadRequest)
			return
		}
		if err := alerts.Verify(secret, r.Header, body); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized) // 4xx: leakwatch will not retry
			return
		}
		var p alerts.WebhookPayload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, "bad payload", http.StatusBadRequest)
			return
		}
		for _, a := range p.Alerts {
			fmt.Printf("%s %s %s: %s\n", a.Severity, a.Rule, a.Object, a.Summary)
		}
	})
	srv := httptest.NewServer(handler)
	defer srv.Close()

	n, _ := alerts.NewWebhookNotifier(alerts.WebhookConfig{Name: "newsroom", URL: srv.URL, Timeout: 5 * time.Second}, secret, nil)
	_, err := n.Notify(context.Background(), leakwatch.Alert{
		ID: "leak|hashtag:macronleaks", Rule: "LeakBeforeSilence", Severity: "critical",
		Kind: leakwatch.SignalLeak, Object: "hashtag:macronleaks", Summary: "dump amplified 3h25m before the silence",
	})
	fmt.Println("error:", err)
	// Output:
	// critical LeakBeforeSilence hashtag:macronleaks: dump amplified 3h25m before the silence
	// error: <nil>
}
