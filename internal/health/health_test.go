package health

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// A component failing shows on /readyz with its error and since when, until it passes again;
// the others stay listed meanwhile.
func TestReadyzNamesWhatFails(t *testing.T) {
	reg := prometheus.NewRegistry()
	b := On(reg)
	now := time.Date(2027, 4, 23, 18, 0, 0, 0, time.UTC)
	b.now = func() time.Time { return now }
	get := func() (int, string) {
		w := httptest.NewRecorder()
		b.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return w.Code, w.Body.String()
	}
	if code, body := get(); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("nothing failing: %d %q", code, body)
	}
	b.Fail("sink posts", errors.New("dial tcp 127.0.0.1:19000: connection refused"))
	now = now.Add(90 * time.Second)
	b.Fail("sink posts", errors.New("dial tcp 127.0.0.1:19000: i/o timeout"))
	b.Fail("fetch sink", errors.New("broker gone"))
	code, body := get()
	want := "fetch sink: failing for 0s (since 2027-04-23T18:01:30Z, 1 failures): broker gone\n" +
		"sink posts: failing for 1m30s (since 2027-04-23T18:00:00Z, 2 failures): dial tcp 127.0.0.1:19000: i/o timeout\n"
	if code != http.StatusServiceUnavailable || body != want {
		t.Errorf("two failing: %d\n%s\nwant\n%s", code, body, want)
	}
	if n := failingSeries(t, reg); n != 2 {
		t.Errorf("leakwatch_component_failing has %d series, want 2", n)
	}
	b.OK("sink posts")
	if _, body := get(); strings.Contains(body, "sink posts") || !strings.Contains(body, "fetch sink") {
		t.Errorf("after the sink passed: %q", body)
	}
	b.OK("fetch sink")
	if code, _ := get(); code != http.StatusOK {
		t.Errorf("all passing: %d", code)
	}
	if n := failingSeries(t, reg); n != 0 {
		t.Errorf("leakwatch_component_failing has %d series with nothing failing", n)
	}
}

// Every component of a process that reports on one registry reports on one board, which is
// what the process's /readyz reads.
func TestOnSharesOneBoard(t *testing.T) {
	reg := prometheus.NewRegistry()
	if a, b := On(reg), On(reg); a != b {
		t.Error("two boards on one registry")
	}
	if On(prometheus.NewRegistry()) == On(reg) {
		t.Error("one board on two registries")
	}
	var none *Board
	none.Fail("x", errors.New("y")) // components built without metrics
	none.OK("x")
	if none.Problems() != nil || On(nil) != nil {
		t.Error("a nil board holds something")
	}
}

func failingSeries(t *testing.T, reg *prometheus.Registry) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "leakwatch_component_failing" {
			return len(mf.GetMetric())
		}
	}
	return 0
}
