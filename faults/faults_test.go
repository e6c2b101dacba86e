package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/alerts"
	"github.com/leakwatch/leakwatch/internal/testenv"
	"github.com/leakwatch/leakwatch/stream"
)

// replaySpeed plays the scenario's week in about 30 s, long enough to break things during it.
const replaySpeed = "20000x"

// TestStreamMatchesAnalyze is the baseline of the fault tests: the stages as processes,
// without faults, give the final detections and the final alerts of the batch analysis of
// the same file.
func TestStreamMatchesAnalyze(t *testing.T) {
	guard(t)
	c := scenarioCampaign(t)
	compareDetections(t, reference(t), c.expected, "`analyze` on the same file")
	compareRecords(t, "alerts", refAlerts, c.alerts, "`analyze` on the same file")
}

// TestKillEachStage kills extract, detect, correlate and the sink in turn with SIGKILL while
// a replay runs, restarting each a second later. At-least-once delivery with commits after
// the writes must leave every post stored once and the detections of the batch analysis.
func TestKillEachStage(t *testing.T) {
	guard(t)
	r := newRun(t, runOpts{kafka: testenv.Kafka(t), clickhouse: testenv.ClickHouse(t)})
	c := scenarioCampaign(t)
	ps := r.processors()
	ps["sink"] = r.start("sink", "sink")
	rp := r.replay(c.posts, replaySpeed)
	for _, s := range []string{"extract", "detect", "correlate", "sink"} {
		time.Sleep(6 * time.Second)
		r.kill9(ps[s])
		time.Sleep(time.Second)
		r.restart(ps[s])
	}
	if err := r.wait(rp, 90*time.Second); err != nil {
		t.Fatalf("replay: %v", err)
	}
	r.waitQuiet([]string{"extract", "detect", "correlate", "sink"}, 15*time.Second, 2*time.Minute)
	r.checkPosts(c.nPosts)
	r.checkDetections(reference(t), "the run without faults")
}

// TestClickHouseDown stops a private ClickHouse for 60 s while the sink is storing a replay:
// the sink must back off without committing, stay up, and catch up with nothing lost.
func TestClickHouseDown(t *testing.T) {
	guard(t)
	testenv.ClickHouse(t) // the shared server proves the package is installed
	env := []string{
		"LEAKWATCH_LOCAL=" + t.TempDir(),
		"LEAKWATCH_CLICKHOUSE_TCP_PORT=29000",
		"LEAKWATCH_CLICKHOUSE_HTTP_PORT=28124",
		"LEAKWATCH_CLICKHOUSE_INTERSERVER_PORT=29010",
	}
	local(t, env, "clickhouse.sh", "up")
	t.Cleanup(func() { local(t, env, "clickhouse.sh", "down") })
	r := newRun(t, runOpts{kafka: testenv.Kafka(t), clickhouse: "127.0.0.1:29000"})
	c := scenarioCampaign(t)
	metrics := freeAddr(t)
	sink := r.start("sink", "sink", "--metrics", metrics)
	rp := r.replay(c.posts, replaySpeed)
	time.Sleep(5 * time.Second)
	waitReady(t, metrics)
	local(t, env, "clickhouse.sh", "down")
	down := time.Now()
	time.Sleep(60 * time.Second)
	// Offsets must not have moved past what ClickHouse accepted: records are waiting.
	lag, err := r.lag("sink", r.kafka.Topics.Posts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sink lag on posts after %s without ClickHouse: %d records", time.Since(down).Round(time.Second), lag)
	if lag == 0 {
		t.Errorf("the sink committed every post while ClickHouse was down")
	}
	// Alive, so nothing restarts it and loses its place, but not ready, and saying why.
	checkNotReady(t, metrics, "sink posts")
	local(t, env, "clickhouse.sh", "up")
	if !sink.running() {
		t.Fatalf("the sink exited while ClickHouse was down (%v) instead of backing off until it returned", sink.err)
	}
	if err := r.wait(rp, 60*time.Second); err != nil {
		t.Fatalf("replay: %v", err)
	}
	r.waitQuiet([]string{"sink"}, 2*time.Second, 2*time.Minute)
	r.checkPosts(c.nPosts)
	waitReady(t, metrics)
}

// TestKafkaRestart restarts a private broker in the middle of a replay: the replay, the
// processors and the sink must reconnect, and every post must be stored once.
func TestKafkaRestart(t *testing.T) {
	guard(t)
	shared := testenv.Kafka(t)
	_ = shared
	state := t.TempDir()
	// The jars of the shared instance spare a download from Maven Central.
	if lib := filepath.Join(testenv.Root(t), ".leakwatch-local", "kafka", "lib"); dirExists(lib) {
		if err := copyDir(lib, filepath.Join(state, "kafka", "lib")); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"LEAKWATCH_LOCAL=" + state, "LEAKWATCH_KAFKA_PORT=29092", "LEAKWATCH_KAFKA_CONTROLLER_PORT=29093"}
	local(t, env, "kafka.sh", "up")
	t.Cleanup(func() { local(t, env, "kafka.sh", "down") })
	r := newRun(t, runOpts{kafka: "127.0.0.1:29092", clickhouse: testenv.ClickHouse(t)})
	c := scenarioCampaign(t)
	r.processors()
	r.start("sink", "sink")
	rp := r.replay(c.posts, replaySpeed)
	time.Sleep(10 * time.Second)
	local(t, env, "kafka.sh", "down")
	time.Sleep(5 * time.Second)
	local(t, env, "kafka.sh", "up")
	if err := r.wait(rp, 2*time.Minute); err != nil {
		t.Fatalf("replay did not survive the broker restart: %v", err)
	}
	r.waitQuiet([]string{"extract", "detect", "correlate", "sink"}, 15*time.Second, 2*time.Minute)
	for _, p := range r.procs {
		if p.name != "replay" && !p.running() {
			t.Errorf("%s exited after the broker restart: %v", p.name, p.err)
		}
	}
	r.checkPosts(c.nPosts)
	r.checkDetections(reference(t), "the run without faults")
}

// receiver is a webhook endpoint that can be taken down and brought back on one address.
type receiver struct {
	addr string
	mu   sync.Mutex
	srv  *http.Server
	got  map[string]int    // alert id -> deliveries
	last map[string]string // alert id -> summary of its last delivery
}

func newReceiver(t *testing.T) *receiver {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rc := &receiver{addr: ln.Addr().String(), got: map[string]int{}, last: map[string]string{}}
	rc.serve(ln)
	t.Cleanup(rc.down)
	return rc
}

func (rc *receiver) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if err := alerts.Verify([]byte("faults-secret"), req.Header, body); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var p alerts.WebhookPayload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rc.mu.Lock()
		for _, a := range p.Alerts {
			rc.got[a.ID]++
			rc.last[a.ID] = a.Summary
		}
		rc.mu.Unlock()
	})}
	rc.mu.Lock()
	rc.srv = srv
	rc.mu.Unlock()
	go srv.Serve(ln)
}

func (rc *receiver) up(t *testing.T) {
	ln, err := net.Listen("tcp", rc.addr)
	if err != nil {
		t.Fatalf("receiver back on %s: %v", rc.addr, err)
	}
	rc.serve(ln)
}

func (rc *receiver) down() {
	rc.mu.Lock()
	srv := rc.srv
	rc.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

func (rc *receiver) delivered() map[string]int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make(map[string]int, len(rc.got))
	for k, v := range rc.got {
		out[k] = v
	}
	return out
}

// summary is the summary of alert id's last delivery, "" before any.
func (rc *receiver) summary(id string) string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.last[id]
}

func testAlerts(n int, tag string) []leakwatch.Alert {
	now := time.Now().UTC().Truncate(time.Second)
	out := make([]leakwatch.Alert, n)
	for i := range out {
		out[i] = leakwatch.Alert{
			ID: fmt.Sprintf("faults-%s-%d", tag, i), Rule: "faults_test", Severity: "warning", Kind: leakwatch.SignalBurst,
			Object: "hashtag:faults" + strconv.Itoa(i), Summary: "fault test alert", StartsAt: now, RaisedAt: now,
		}
	}
	return out
}

func writeAlerts(t *testing.T, r *run, as []leakwatch.Alert) {
	t.Helper()
	w, err := stream.NewWriter(r.kafka, "faults", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	msgs := make([]stream.Message, len(as))
	for i, a := range as {
		if msgs[i], err = stream.EncodeAlert(r.kafka.Topics.Alerts, a); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.Write(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
}

// TestReceiverDown takes the webhook receiver down while alerts arrive: the alert role must
// retry with backoff and deliver every alert once the receiver is back, without dead letters.
func TestReceiverDown(t *testing.T) {
	guard(t)
	rc := newReceiver(t)
	r := newRun(t, runOpts{kafka: testenv.Kafka(t), webhook: "http://" + rc.addr + "/hook"})
	metrics := freeAddr(t)
	al := r.start("alert", "alert", "--metrics", metrics)
	first := testAlerts(5, "before")
	writeAlerts(t, r, first)
	waitFor(t, 60*time.Second, "first alerts delivered", func() bool { return len(rc.delivered()) == len(first) })
	rc.down()
	second := testAlerts(20, "during")
	writeAlerts(t, r, second)
	time.Sleep(15 * time.Second)
	if n := len(rc.delivered()); n != len(first) {
		t.Fatalf("%d alerts delivered while the receiver was down", n-len(first))
	}
	checkNotReady(t, metrics, "deliver faults")
	rc.up(t)
	waitFor(t, 60*time.Second, "alerts delivered after the receiver came back", func() bool {
		return len(rc.delivered()) == len(first)+len(second)
	})
	if !al.running() {
		t.Errorf("the alert role exited: %v", al.err)
	}
	waitReady(t, metrics)
	if dl := r.readTopic(r.kafka.Topics.DeadLetter); len(dl) > 0 {
		t.Errorf("%d alerts dead-lettered although the receiver came back", len(dl))
	}
	r.waitQuiet([]string{"alert-faults"}, time.Second, 30*time.Second)
}

// TestAlertKilledWithAnUpdateWaiting kills the alert role with SIGKILL while dedup holds back
// an alert whose evidence grew (a growing group within the dedup interval): the version it
// never delivered must reach the receiver after the restart, not be lost with the process.
func TestAlertKilledWithAnUpdateWaiting(t *testing.T) {
	guard(t)
	rc := newReceiver(t)
	r := newRun(t, runOpts{kafka: testenv.Kafka(t), webhook: "http://" + rc.addr + "/hook", dedup: "1h", partitions: 1})
	al := r.start("alert", "alert")
	group := testAlerts(1, "growing")[0]
	group.Summary = "Coordinated group (9 objects)"
	writeAlerts(t, r, []leakwatch.Alert{group})
	waitFor(t, 60*time.Second, "the first version delivered", func() bool { return rc.summary(group.ID) == group.Summary })

	// The group grew; alerts after it in the partition show when the role has read it.
	group.Summary = "Coordinated group (20 objects)"
	after := testAlerts(3, "after")
	writeAlerts(t, r, append([]leakwatch.Alert{group}, after...))
	waitFor(t, 60*time.Second, "the alerts after the update delivered", func() bool {
		d := rc.delivered()
		return d[after[0].ID] > 0 && d[after[1].ID] > 0 && d[after[2].ID] > 0
	})
	// The role commits what it delivered, but not the grown version it holds back, nor what
	// follows it: wait until its offset stays put, then check where it stopped.
	var held int64 = -1
	waitFor(t, 30*time.Second, "the alert role's offset settled", func() bool {
		at := r.committed("alert-faults", r.kafka.Topics.Alerts)[0]
		time.Sleep(time.Second)
		settled := at >= 1 && at == r.committed("alert-faults", r.kafka.Topics.Alerts)[0]
		held = at
		return settled
	})
	if held != 1 {
		t.Errorf("the alert role committed offset %d, want 1: the record of the update it has not sent", held)
	}
	if got := rc.summary(group.ID); got != "Coordinated group (9 objects)" {
		t.Fatalf("within the dedup interval the receiver holds %q, want the first version", got)
	}

	r.kill9(al)
	r.restart(al)
	waitFor(t, 60*time.Second, "the grown version delivered after the restart", func() bool { return rc.summary(group.ID) == group.Summary })
	// What follows the held record is read again too: each at most once more, none lost.
	for _, a := range after {
		if n := rc.delivered()[a.ID]; n < 1 || n > 2 {
			t.Errorf("alert %s delivered %d times, want 1 or 2", a.ID, n)
		}
	}
	if dl := r.readTopic(r.kafka.Topics.DeadLetter); len(dl) > 0 {
		t.Errorf("%d alerts dead-lettered", len(dl))
	}
}

// TestAlertmanagerDown stops a private Alertmanager while alerts arrive: the alert role must
// retry with backoff and, once Alertmanager is back, every alert must be readable from its
// API, with nothing dead-lettered.
func TestAlertmanagerDown(t *testing.T) {
	guard(t)
	testenv.Alertmanager(t) // the shared server proves the package is installed
	const port = 29193
	env := []string{"LEAKWATCH_LOCAL=" + t.TempDir(), "LEAKWATCH_ALERTMANAGER_PORT=" + strconv.Itoa(port)}
	local(t, env, "alertmanager.sh", "up")
	t.Cleanup(func() { local(t, env, "alertmanager.sh", "down") })
	amURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	r := newRun(t, runOpts{kafka: testenv.Kafka(t), alertmanager: amURL})
	al := r.start("alert", "alert")
	shown := func() map[string]bool {
		resp, err := http.Get(amURL + "/api/v2/alerts")
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		var got []struct {
			Labels map[string]string `json:"labels"`
		}
		if json.NewDecoder(resp.Body).Decode(&got) != nil {
			return nil
		}
		out := map[string]bool{}
		for _, a := range got {
			out[a.Labels["object"]] = true
		}
		return out
	}
	has := func(as []leakwatch.Alert) bool {
		s := shown()
		for _, a := range as {
			if !s[a.Object] {
				return false
			}
		}
		return true
	}
	first := testAlerts(3, "am-before")
	writeAlerts(t, r, first)
	waitFor(t, 60*time.Second, "first alerts in Alertmanager", func() bool { return has(first) })
	local(t, env, "alertmanager.sh", "down")
	second := testAlerts(10, "am-during")
	for i := range second {
		second[i].Object = "hashtag:amdown" + strconv.Itoa(i)
	}
	writeAlerts(t, r, second)
	time.Sleep(10 * time.Second)
	local(t, env, "alertmanager.sh", "up")
	waitFor(t, 90*time.Second, "alerts written while Alertmanager was down, read back from its API", func() bool { return has(second) })
	if !al.running() {
		t.Errorf("the alert role exited: %v", al.err)
	}
	if dl := r.readTopic(r.kafka.Topics.DeadLetter); len(dl) > 0 {
		t.Errorf("%d alerts dead-lettered although Alertmanager came back", len(dl))
	}
}

// TestPoisonedRecords puts an undecodable record on every topic a role reads (posts, site
// changes, mentions, co-shares, signals, alerts), then a valid replay: each poisoned record
// must be dead-lettered with its reason by the roles reading it, and the roles must go on.
func TestPoisonedRecords(t *testing.T) {
	guard(t)
	rc := newReceiver(t)
	r := newRun(t, runOpts{kafka: testenv.Kafka(t), clickhouse: testenv.ClickHouse(t), webhook: "http://" + rc.addr + "/hook"})
	c := scenarioCampaign(t)
	tp := r.kafka.Topics
	poisoned := map[string]string{ // topic -> the type it claims
		tp.Posts: "post", tp.SiteChanges: "sitechange", tp.Mentions: "mention", tp.CoShares: "coshare", tp.Signals: "signal", tp.Alerts: "alert",
	}
	w, err := stream.NewWriter(r.kafka, "faults", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var msgs []stream.Message
	for topic, typ := range poisoned {
		msgs = append(msgs, stream.Message{Topic: topic, Key: []byte("poison-" + typ), Value: []byte(`{"this is": not json`),
			Headers: []stream.Header{{Key: stream.HeaderType, Value: []byte(typ)}, {Key: "leakwatch-version", Value: []byte("1")}}})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.Write(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	ps := r.processors()
	ps["sink"] = r.start("sink", "sink")
	ps["alert"] = r.start("alert", "alert")
	rp := r.replay(c.posts, "max")
	if err := r.wait(rp, 90*time.Second); err != nil {
		t.Fatalf("replay: %v", err)
	}
	r.waitQuiet([]string{"extract", "detect", "correlate", "sink", "alert-faults"}, 15*time.Second, 2*time.Minute)
	for name, p := range ps {
		if !p.running() {
			t.Errorf("%s stopped: %v", name, p.err)
		}
	}
	// Which roles read each topic, so each must have dead-lettered its poisoned record.
	readers := map[string][]string{
		tp.Posts: {"extract", "sink"}, tp.SiteChanges: {"correlate", "sink"}, tp.Mentions: {"detect", "sink"},
		tp.CoShares: {"correlate"}, tp.Signals: {"correlate", "sink"}, tp.Alerts: {"alert-faults", "sink"},
	}
	got := map[string]map[string]string{} // topic -> stage -> reason, for the poisoned records
	others := map[string]int{}            // "stage: topic" -> dead letters of valid records
	for _, rec := range r.readTopic(tp.DeadLetter) {
		d, err := stream.ParseDeadLetter(rec)
		if err != nil {
			t.Errorf("dead letter %s: %v", rec.Where(), err)
			continue
		}
		if !strings.HasPrefix(string(d.Key), "poison-") {
			others[d.Stage+": "+d.Topic]++
			continue
		}
		if got[d.Topic] == nil {
			got[d.Topic] = map[string]string{}
		}
		got[d.Topic][d.Stage] = d.Reason
	}
	for topic, stages := range readers {
		for _, s := range stages {
			reason, ok := got[topic][s]
			switch {
			case !ok:
				t.Errorf("%s: the poisoned record was not dead-lettered by %s (dead letters from it: %v)", topic, s, got[topic])
			case reason == "":
				t.Errorf("%s: dead letter from %s has no reason", topic, s)
			default:
				t.Logf("%s: %s dead-lettered it: %s", topic, s, reason)
			}
		}
	}
	// Valid records must not be dead-lettered; logged here, the detections check below
	// fails when they changed the result.
	for k, n := range others {
		t.Logf("also dead-lettered: %d valid records (%s)", n, k)
	}
	r.checkPosts(c.nPosts)
	r.checkDetections(reference(t), "the run without faults")
}

// TestScaleOut runs two processes of extract and two of detect on the same topics: they must
// split the partitions and give the detections of the batch analysis, as one process does.
func TestScaleOut(t *testing.T) {
	guard(t)
	r := newRun(t, runOpts{kafka: testenv.Kafka(t), clickhouse: testenv.ClickHouse(t)})
	c := scenarioCampaign(t)
	r.processors()
	r.start("extract2", "process", "--stage", "extract", "--flush-idle", "10s")
	r.start("detect2", "process", "--stage", "detect", "--flush-idle", "10s")
	r.start("sink", "sink")
	rp := r.replay(c.posts, replaySpeed)
	// While the replay runs, each group must have two members holding partitions.
	for _, stage := range []string{"extract", "detect"} {
		waitFor(t, 45*time.Second, stage+" split between two members", func() bool {
			a := r.assignments(stage)
			t.Logf("%s members and their partitions: %v", stage, a)
			if len(a) != 2 {
				return false
			}
			for _, parts := range a {
				if parts == 0 {
					return false
				}
			}
			return true
		})
	}
	if err := r.wait(rp, 90*time.Second); err != nil {
		t.Fatalf("replay: %v", err)
	}
	r.waitQuiet([]string{"extract", "detect", "correlate", "sink"}, 15*time.Second, 2*time.Minute)
	r.checkPosts(c.nPosts)
	r.checkDetections(reference(t), "the run without faults")
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s", what, d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func dirExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func copyDir(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
