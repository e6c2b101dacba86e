package alerts

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

// The wire formats receivers depend on, recorded in testdata so a change shows in review.
func TestPayloadGolden(t *testing.T) {
	now := time.Date(2017, 5, 5, 18, 49, 30, 0, time.UTC)
	bare := leakwatch.Alert{ID: "edge|url|a|b", Rule: "CoShareEdge", Severity: "info", Kind: leakwatch.SignalEdge, Summary: "a and b co-shared 4 URLs within 60s", Evidence: []string{"url:https://pastebin.com/raw/xyz"}}
	as := []leakwatch.Alert{leakAlert("leak|hashtag:macronleaks|2017-05-05T18:35:00Z"), bare}
	tests := []struct {
		file string
		body func() ([]byte, error)
	}{
		{"alertmanager.golden.json", func() ([]byte, error) { return json.Marshal(amBody(as, now, 6*time.Hour)) }},
		{"webhook.golden.json", func() ([]byte, error) { return webhookBody("newsroom", as) }},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			raw, err := tc.body()
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, raw, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./alerts -run Golden -update to create it)", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("%s changed:\n%s\nwant:\n%s\n(if intended, run with -update and review the diff)", path, pretty.Bytes(), want)
			}
		})
	}
}
