package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/dashboards/live"
	"github.com/leakwatch/leakwatch/internal/testenv"
	"github.com/leakwatch/leakwatch/stream"
)

// platforms serves what the collectors poll: a news RSS feed, a paste site's Atom feed, a
// document that is not a feed, and a candidate's site that gets defaced after the first check.
func platforms(t *testing.T) (*httptest.Server, int) {
	t.Helper()
	read := func(p string) []byte {
		b, err := os.ReadFile(filepath.Join(testenv.Root(t), p))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	news, paste := read("collectors/feeds/testdata/news-rss.xml"), read("collectors/feeds/testdata/paste-atom.xml")
	site := [][]byte{read("collectors/sites/testdata/candidate-v1.html"), read("collectors/sites/testdata/candidate-defaced.html")}
	var visits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/news.xml", func(w http.ResponseWriter, r *http.Request) { w.Write(news) })
	mux.HandleFunc("/paste.atom", func(w http.ResponseWriter, r *http.Request) { w.Write(paste) })
	mux.HandleFunc("/broken.xml", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>not a feed</html>")) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write(site[min(int(visits.Add(1))-1, 1)])
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	items := strings.Count(string(news), "<item") + strings.Count(string(paste), "<entry")
	return srv, items
}

func collectConfig(t *testing.T, srv string, extra string) string {
	t.Helper()
	body := fmt.Sprintf(`collectors:
  feeds:
    interval: 1s
    feeds:
      - url: %[1]s/news.xml
      - url: %[1]s/paste.atom
      - url: %[1]s/broken.xml
  sites:
    interval: 10s
    dns: false
    targets:
      - id: candidate
        url: %[1]s/
%[2]s`, srv, extra)
	p := filepath.Join(t.TempDir(), "leakwatch.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCollectIntoKafka runs `leakwatch collect` against local platforms and the real broker:
// every feed item arrives as a post, the defacement as a site change, and the document that is
// not a feed in the dead-letter topic with its reason.
func TestCollectIntoKafka(t *testing.T) {
	broker := testenv.Kafka(t)
	srv, items := platforms(t)
	sfx := fmt.Sprintf("collect%d", time.Now().UnixNano())
	cfgPath := collectConfig(t, srv.URL, fmt.Sprintf(`kafka:
  brokers: [%s]
  partitions: 2
  group_prefix: %[2]s-
  topics: {posts: %[2]s.posts, sitechanges: %[2]s.sitechanges, mentions: %[2]s.mentions, signals: %[2]s.signals, alerts: %[2]s.alerts, deadletter: %[2]s.deadletter, coshares: %[2]s.coshares}
metrics: ""
`, broker, sfx))
	c, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stream.DeleteTopics(context.Background(), c.Kafka, c.Kafka.Topics.All()...) })

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errs syncBuffer
	go func() { done <- run(ctx, []string{"collect", "--config", cfgPath}, &out, &errs) }()
	count := func(topic string) int64 {
		r, err := stream.TopicRanges(context.Background(), c.Kafka, topic)
		if err != nil {
			return -1
		}
		return stream.Count(r)
	}
	waitFor(t, 60*time.Second, "feed items, the site change and the dead letter on Kafka", func() bool {
		return count(c.Kafka.Topics.Posts) >= int64(items) && count(c.Kafka.Topics.SiteChanges) >= 1 && count(c.Kafka.Topics.DeadLetter) >= 1
	})
	time.Sleep(2 * time.Second) // later polls must not add the same items again
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("collect exited %d:\n%s", code, errs.String())
	}
	if n := count(c.Kafka.Topics.Posts); n != int64(items) {
		t.Errorf("%d posts on the topic, want each of the %d feed items once", n, items)
	}
	var reasons []string
	ranges, err := stream.TopicRanges(context.Background(), c.Kafka, c.Kafka.Topics.DeadLetter)
	if err != nil {
		t.Fatal(err)
	}
	for p, pr := range ranges {
		err := stream.ReadPartition(context.Background(), c.Kafka, c.Kafka.Topics.DeadLetter, p, pr.First, pr.End, func(recs []stream.Record) error {
			for _, r := range recs {
				d, err := stream.ParseDeadLetter(r)
				if err == nil {
					reasons = append(reasons, d.Reason)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("read dead letters: %v", err)
		}
	}
	if len(reasons) == 0 || !strings.Contains(strings.Join(reasons, "\n"), "broken.xml") {
		t.Errorf("dead letters %q: want the non-feed document, named", reasons)
	}
}

// TestRunEmbedded is one analyst without infrastructure: `run --embedded` runs the collectors,
// the stages and the live page on the in-process broker.
func TestRunEmbedded(t *testing.T) {
	srv, items := platforms(t)
	cfgPath := collectConfig(t, srv.URL, "metrics: \"\"\nlive:\n  listen: 127.0.0.1:0\n")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errs syncBuffer
	go func() {
		done <- run(ctx, []string{"run", "--embedded", "--config", cfgPath, "--broker-data", t.TempDir()}, &out, &errs)
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("run --embedded exited %d:\n%s", code, errs.String())
		}
	}()
	var url string
	waitFor(t, 60*time.Second, "the live page's address in the log", func() bool {
		_, rest, ok := strings.Cut(errs.String(), "msg=\"live page\" url=")
		if ok {
			url, _, _ = strings.Cut(rest, "\n")
		}
		return ok
	})
	waitFor(t, 60*time.Second, "the collected posts on the live page", func() bool {
		resp, err := http.Get(url + "api/state")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var s live.Snapshot
		json.NewDecoder(resp.Body).Decode(&s)
		return s.Counts.Posts == items && s.Counts.SiteChanges >= 1 && s.Counts.DeadLetters >= 1
	})
}
