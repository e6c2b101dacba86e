package httpstream

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/collectors"
)

func TestStatusError(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tests := []struct {
		code      int
		hdr       map[string]string
		permanent bool
		retryAt   time.Time // zero: no RetryAfter
	}{
		{code: 200},
		{code: 500},
		{code: 503},
		{code: 408},
		{code: 401, permanent: true},
		{code: 403, permanent: true},
		{code: 400, permanent: true},
		{code: 420, retryAt: now.Add(time.Minute)},
		{code: 429, hdr: map[string]string{"x-rate-limit-reset": "1700000900"}, retryAt: time.Unix(1_700_000_900, 0)},
		{code: 429, hdr: map[string]string{"X-RateLimit-Reset": "2023-11-14T22:30:00.000Z"}, retryAt: time.Date(2023, 11, 14, 22, 30, 0, 0, time.UTC)},
		{code: 429, hdr: map[string]string{"Retry-After": "120"}, retryAt: now.Add(2 * time.Minute)},
		{code: 429, hdr: map[string]string{"x-rate-limit-reset": "1699999999"}, retryAt: now.Add(time.Minute)}, // past: at least a minute
	}
	for _, tc := range tests {
		resp := &http.Response{StatusCode: tc.code, Header: http.Header{}, Body: io.NopCloser(strings.NewReader("body text"))}
		for k, v := range tc.hdr {
			resp.Header.Set(k, v)
		}
		err := StatusError(resp, func() time.Time { return now })
		if tc.code == 200 {
			if err != nil {
				t.Errorf("200: %v", err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "body text") {
			t.Errorf("%d: err = %v, want the body quoted", tc.code, err)
			continue
		}
		if collectors.IsPermanent(err) != tc.permanent {
			t.Errorf("%d: permanent = %v, want %v", tc.code, collectors.IsPermanent(err), tc.permanent)
		}
		at, ok := collectors.RetryAfterTime(err)
		if ok != !tc.retryAt.IsZero() || ok && !at.Equal(tc.retryAt) {
			t.Errorf("%d %v: retry after %v %v, want %v", tc.code, tc.hdr, at, ok, tc.retryAt)
		}
	}
}
