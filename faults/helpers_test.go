package faults

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/segmentio/kafka-go"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/analytics/pipeline"
	"github.com/leakwatch/leakwatch/internal/testenv"
	"github.com/leakwatch/leakwatch/stream"
)

// bin is the leakwatch binary TestMain builds once, in work, which also holds the campaign
// and is removed when the tests end.
var bin, work string

func TestMain(m *testing.M) {
	if os.Getenv("LEAKWATCH_FAULTS") != "1" {
		os.Exit(m.Run()) // every test skips
	}
	dir, err := os.MkdirTemp("", "leakwatch-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	work = dir
	bin = filepath.Join(dir, "leakwatch")
	build := exec.Command("go", "build", "-o", bin, "./cmd/leakwatch")
	build.Dir = filepath.Join("..")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/leakwatch: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// guard skips a fault test unless LEAKWATCH_FAULTS=1; missing services then skip, or fail
// under LEAKWATCH_SERVICES=required (testenv).
func guard(t *testing.T) {
	t.Helper()
	if os.Getenv("LEAKWATCH_FAULTS") != "1" {
		t.Skip("fault tests stop and start services: set LEAKWATCH_FAULTS=1 (make test-faults)")
	}
}

// campaign is a generated scenario and what the batch analysis finds in it.
type campaign struct {
	posts    string // posts.jsonl
	nPosts   int
	expected map[string]string // signal key -> detection JSON, from `analyze`
	alerts   map[string]string // alert id -> alert JSON, from `analyze`'s alerts.jsonl
}

var (
	campOnce sync.Once
	camp     campaign
	campErr  error
)

// scenarioCampaign generates one small campaign (a week, 1 500 accounts, the leak dump and
// the retweet ring) and analyses it in batch, once for all tests.
func scenarioCampaign(t *testing.T) campaign {
	t.Helper()
	campOnce.Do(func() {
		dir := filepath.Join(work, "campaign")
		if out, err := exec.Command(bin, "scenario", "generate", "--seed", "11", "--accounts", "1500", "--out", dir).CombinedOutput(); err != nil {
			campErr = fmt.Errorf("scenario generate: %v\n%s", err, out)
			return
		}
		camp.posts = filepath.Join(dir, "posts.jsonl")
		b, err := os.ReadFile(camp.posts)
		if err != nil {
			campErr = err
			return
		}
		camp.nPosts = bytes.Count(b, []byte("\n"))
		out := filepath.Join(dir, "analyze")
		if o, err := exec.Command(bin, "analyze", camp.posts, "--out", out, "--progress", "0").CombinedOutput(); err != nil {
			campErr = fmt.Errorf("analyze: %v\n%s", err, o)
			return
		}
		if camp.expected, campErr = readDetections(filepath.Join(out, "detections.jsonl")); campErr != nil {
			return
		}
		camp.alerts, campErr = readAlerts(filepath.Join(out, "alerts.jsonl"))
	})
	if campErr != nil {
		t.Fatal(campErr)
	}
	return camp
}

// readAlerts reads analyze's alerts file as alert id -> canonical JSON.
func readAlerts(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	final := pipeline.NewFinal()
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var a leakwatch.Alert
		if err := json.Unmarshal(line, &a); err != nil {
			return nil, fmt.Errorf("%s: %v: %s", path, err, line)
		}
		final.AddAlerts(a)
	}
	return alertMap(final.Alerts())
}

func alertMap(as []leakwatch.Alert) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range as {
		b, err := json.Marshal(a)
		if err != nil {
			return nil, err
		}
		out[a.ID] = string(b)
	}
	return out, nil
}

// readDetections reads a detections file as signal key -> canonical JSON (the last line of
// a key wins, as on the signals topic).
func readDetections(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var s leakwatch.Signal
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		b, err := json.Marshal(s)
		if err != nil {
			return nil, err
		}
		out[s.Key()] = string(b)
	}
	return out, sc.Err()
}

// run is one pipeline on topics, groups and a database of its own.
type run struct {
	t      *testing.T
	id     string
	dir    string
	config string
	kafka  stream.Config
	chAddr string
	db     string

	mu    sync.Mutex
	procs []*proc
}

type runOpts struct {
	kafka      string // broker address
	clickhouse string // native address
	webhook    string // webhook URL for the alert role ("" none)
	// alertmanager is the Alertmanager URL for the alert role; "" means none when a webhook
	// is set, the shared instance otherwise.
	alertmanager string
	partitions   int
	dedup        string // the alert role's dedup interval (default 0s: off)
}

func newRun(t *testing.T, o runOpts) *run {
	t.Helper()
	if o.partitions == 0 {
		o.partitions = 4
	}
	id := fmt.Sprintf("%s_%d", strings.ToLower(strings.NewReplacer("/", "_", "-", "_").Replace(t.Name())), time.Now().UnixNano()%1e9)
	r := &run{t: t, id: id, dir: t.TempDir(), chAddr: o.clickhouse, db: "leakwatch_faults_" + id}
	prefix := "leakwatch-faults-" + id
	r.kafka = stream.DefaultConfig()
	r.kafka.Brokers = []string{o.kafka}
	r.kafka.Partitions = o.partitions
	r.kafka.GroupPrefix = prefix + "-"
	r.kafka.Topics = stream.Topics{
		Posts: prefix + ".posts", SiteChanges: prefix + ".sitechanges", Mentions: prefix + ".mentions",
		Signals: prefix + ".signals", Alerts: prefix + ".alerts", DeadLetter: prefix + ".deadletter", CoShares: prefix + ".coshares",
	}
	tp := r.kafka.Topics
	// Only the alert role delivers; tests that start it name their receivers.
	am := o.alertmanager
	if am == "" && o.webhook == "" {
		am = testenv.DefaultAlertmanager
	}
	if o.clickhouse == "" {
		o.clickhouse = testenv.DefaultClickHouse
	}
	if o.dedup == "" {
		o.dedup = "0s"
	}
	cfg := fmt.Sprintf(`kafka:
  brokers: [%q]
  partitions: %d
  group_prefix: %q
  topics: {posts: %q, sitechanges: %q, mentions: %q, signals: %q, alerts: %q, deadletter: %q, coshares: %q}
clickhouse:
  addr: %q
  database: %q
metrics: ""
alerts:
  alertmanager: {url: %q}
  dedup: {interval: %s}
  retry: {initial: 200ms, max: 2s, multiplier: 2, max_attempts: 100, max_elapsed: 90s}
`, o.kafka, o.partitions, r.kafka.GroupPrefix, tp.Posts, tp.SiteChanges, tp.Mentions, tp.Signals, tp.Alerts, tp.DeadLetter, tp.CoShares, o.clickhouse, r.db, am, o.dedup)
	if o.webhook != "" {
		cfg += fmt.Sprintf("  webhooks: [{name: faults, url: %q, secret_env: LEAKWATCH_FAULTS_SECRET}]\n", o.webhook)
	}
	r.config = filepath.Join(r.dir, "leakwatch.yaml")
	if err := os.WriteFile(r.config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := stream.EnsureTopics(ctx, r.kafka); err != nil {
		t.Fatal(err)
	}
	// Right after creation a partition may still answer "not leader" to ListOffsets, which the
	// stages call when they start.
	for _, topic := range tp.All() {
		for {
			_, err := stream.TopicRanges(ctx, r.kafka, topic)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("topic %s never answered: %v", topic, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	t.Cleanup(func() {
		r.stopAll()
		if t.Failed() {
			r.dumpLogs()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := stream.DeleteTopics(ctx, r.kafka, tp.All()...); err != nil {
			t.Logf("delete topics: %v", err)
		}
		if o.clickhouse != "" {
			if c, err := clickhouse.Open(&clickhouse.Options{Addr: []string{o.clickhouse}}); err == nil {
				c.Exec(ctx, "DROP DATABASE IF EXISTS "+r.db)
				c.Close()
			}
		}
	})
	return r
}

// proc is one leakwatch role running as a process.
type proc struct {
	name string
	args []string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// start runs `leakwatch CMD --config CONFIG ARGS` with its output in DIR/NAME.log (appended
// on restarts).
func (r *run) start(name, cmd string, args ...string) *proc {
	r.t.Helper()
	p := &proc{name: name, args: append([]string{cmd, "--config", r.config}, args...), log: filepath.Join(r.dir, name+".log")}
	r.launch(p)
	r.mu.Lock()
	r.procs = append(r.procs, p)
	r.mu.Unlock()
	return p
}

func (r *run) launch(p *proc) {
	r.t.Helper()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		r.t.Fatal(err)
	}
	fmt.Fprintf(f, "=== %s leakwatch %s\n", time.Now().UTC().Format(time.RFC3339Nano), strings.Join(p.args, " "))
	p.cmd = exec.Command(bin, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.Env = append(os.Environ(), "LEAKWATCH_FAULTS_SECRET=faults-secret", "LEAKWATCH_LOG=info")
	if err := p.cmd.Start(); err != nil {
		f.Close()
		r.t.Fatalf("start %s: %v", p.name, err)
	}
	p.done = make(chan struct{})
	go func() {
		p.err = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
}

// kill9 kills the process with SIGKILL and waits for it to be gone.
func (r *run) kill9(p *proc) {
	r.t.Helper()
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	r.t.Logf("%s: killed with SIGKILL", p.name)
}

// restart starts a stopped process again with the same arguments.
func (r *run) restart(p *proc) {
	r.t.Helper()
	r.launch(p)
	r.t.Logf("%s: restarted", p.name)
}

func (p *proc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// wait waits for a process to end by itself.
func (r *run) wait(p *proc, d time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		return fmt.Errorf("%s still running after %s", p.name, d)
	}
}

func (r *run) stopAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.procs {
		if p.running() {
			p.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, p := range r.procs {
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
		}
	}
}

func (r *run) dumpLogs() {
	for _, p := range r.procs {
		b, _ := os.ReadFile(p.log)
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) > 25 {
			lines = lines[len(lines)-25:]
		}
		r.t.Logf("--- last lines of %s:\n%s", p.name, strings.Join(lines, "\n"))
	}
}

// processors starts extract, detect and correlate, each in its own process, with windows
// flushed after 10 s of quiet input so a finite replay yields every detection. The source
// idle time stays at its default (10 s), as an operator would run it.
func (r *run) processors() map[string]*proc {
	ps := map[string]*proc{}
	for _, s := range []string{"extract", "detect", "correlate"} {
		ps[s] = r.start(s, "process", "--stage", s, "--flush-idle", "10s")
	}
	return ps
}

// lag is end offset minus committed offset over every partition of the group's topics.
func (r *run) lag(stage string, topics ...string) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var sum int64
	for _, topic := range topics {
		ranges, err := stream.TopicRanges(ctx, r.kafka, topic)
		if err != nil {
			return 0, err
		}
		com, err := stream.Committed(ctx, r.kafka, r.kafka.GroupPrefix+stage, topic)
		if err != nil {
			return 0, err
		}
		for p, rg := range ranges {
			at, ok := com[p]
			if !ok || at < rg.First {
				at = rg.First
			}
			sum += max(0, rg.End-at)
		}
	}
	return sum, nil
}

// committed is a stage's committed offset per partition of topic (-1: none yet).
func (r *run) committed(stage, topic string) map[int]int64 {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	com, err := stream.Committed(ctx, r.kafka, r.kafka.GroupPrefix+stage, topic)
	if err != nil {
		r.t.Fatalf("committed offsets of %s: %v", stage, err)
	}
	return com
}

// assignments is how many partitions each member of a stage's group holds.
func (r *run) assignments(stage string) map[string]int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := &kafka.Client{Addr: kafka.TCP(r.kafka.Brokers...)}
	resp, err := c.DescribeGroups(ctx, &kafka.DescribeGroupsRequest{GroupIDs: []string{r.kafka.GroupPrefix + stage}})
	if err != nil || len(resp.Groups) != 1 {
		return nil
	}
	out := map[string]int{}
	for _, m := range resp.Groups[0].Members {
		n := 0
		for _, tp := range m.MemberAssignments.Topics {
			n += len(tp.Partitions)
		}
		out[m.ClientHost+"/"+m.MemberID] = n
	}
	return out
}

// stageTopics are the inputs of each role.
func (r *run) stageTopics(stage string) []string {
	t := r.kafka.Topics
	switch stage {
	case "extract":
		return []string{t.Posts}
	case "detect":
		return []string{t.Mentions}
	case "correlate":
		return []string{t.CoShares, t.Signals, t.SiteChanges}
	case "sink":
		return []string{t.Posts, t.SiteChanges, t.Mentions, t.Signals, t.Alerts}
	case "alert-faults", "alert-alertmanager": // the alert role reads in one group a receiver
		return []string{t.Alerts}
	}
	panic(stage)
}

// waitQuiet waits until every listed role has consumed everything and stayed so for quiet
// (long enough for detect's idle flush and what follows it), or fails after limit.
func (r *run) waitQuiet(stages []string, quiet, limit time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(limit)
	var since time.Time
	last := ""
	for time.Now().Before(deadline) {
		zero := true
		var parts []string
		for _, s := range stages {
			l, err := r.lag(s, r.stageTopics(s)...)
			if err != nil || l > 0 {
				zero = false
			}
			parts = append(parts, fmt.Sprintf("%s=%d", s, l))
		}
		last = strings.Join(parts, " ")
		if !zero {
			since = time.Time{}
		} else if since.IsZero() {
			since = time.Now()
		} else if time.Since(since) >= quiet {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	r.t.Fatalf("pipeline not caught up after %s: lag %s", limit, last)
}

// replay writes the campaign's posts into the run's topics at speed (Nx or max).
func (r *run) replay(posts, speed string) *proc {
	return r.start("replay", "replay", "--speed", speed, "--progress", "0", posts)
}

// postCounts are the run's posts in ClickHouse: rows, distinct URIs, rows after FINAL.
func (r *run) postCounts() (rows, uniq, final uint64) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := clickhouse.Open(&clickhouse.Options{Addr: []string{r.chAddr}})
	if err != nil {
		r.t.Fatal(err)
	}
	defer c.Close()
	if err := c.QueryRow(ctx, "SELECT count(), uniqExact(uri) FROM "+r.db+".posts").Scan(&rows, &uniq); err != nil {
		r.t.Fatalf("count posts: %v", err)
	}
	if err := c.QueryRow(ctx, "SELECT count() FROM "+r.db+".posts FINAL").Scan(&final); err != nil {
		r.t.Fatalf("count posts FINAL: %v", err)
	}
	return rows, uniq, final
}

// checkPosts asserts ClickHouse holds each of want posts exactly once (after FINAL).
func (r *run) checkPosts(want int) {
	r.t.Helper()
	rows, uniq, final := r.postCounts()
	r.t.Logf("ClickHouse posts: %d rows, %d distinct URIs, %d after FINAL; replayed %d", rows, uniq, final, want)
	if uniq != uint64(want) || final != uint64(want) {
		r.t.Errorf("ClickHouse holds %d distinct posts (%d after FINAL), the replay wrote %d", uniq, final, want)
	}
}

// readTopic reads every record of a topic, in topic order (by partition, then offset).
func (r *run) readTopic(topic string) []stream.Record {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ranges, err := stream.TopicRanges(ctx, r.kafka, topic)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []stream.Record
	for p, rg := range ranges {
		err := stream.ReadPartition(ctx, r.kafka, topic, p, rg.First, rg.End, func(recs []stream.Record) error {
			out = append(out, recs...)
			return nil
		})
		if err != nil {
			r.t.Fatal(err)
		}
	}
	// Partitions come from a map: in topic order, a key's later record comes last.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Partition != out[j].Partition {
			return out[i].Partition < out[j].Partition
		}
		return out[i].Offset < out[j].Offset
	})
	return out
}

// finalSignals is the latest signal per key on the signals topic, as canonical JSON.
func (r *run) finalSignals() map[string]string {
	r.t.Helper()
	recs := r.readTopic(r.kafka.Topics.Signals)
	// As docs/DETECTION.md says consumers must: the latest record per key, without the groups
	// and leaks others supersede; the detections file carries no `supersedes`.
	final := pipeline.NewFinal()
	for _, rec := range recs {
		s, err := stream.Decode[leakwatch.Signal](rec)
		if err != nil {
			continue // a poisoned record; the dead-letter checks cover it
		}
		final.Add(s)
	}
	out := map[string]string{}
	for _, s := range final.Signals() {
		b, err := json.Marshal(s)
		if err != nil {
			r.t.Fatal(err)
		}
		out[s.Key()] = string(b)
	}
	return out
}

// finalAlerts is the final alerts on the alerts topic, as consumers read them (the latest
// per id, without those another supersedes), by id as canonical JSON.
func (r *run) finalAlerts() map[string]string {
	r.t.Helper()
	recs := r.readTopic(r.kafka.Topics.Alerts)
	final := pipeline.NewFinal()
	for _, rec := range recs {
		if a, err := stream.Decode[leakwatch.Alert](rec); err == nil {
			final.AddAlerts(a)
		}
	}
	out, err := alertMap(final.Alerts())
	if err != nil {
		r.t.Fatal(err)
	}
	return out
}

// checkDetections asserts the run's final signals equal want (from `what`), naming up to
// five differences.
func (r *run) checkDetections(want map[string]string, what string) {
	r.t.Helper()
	compareDetections(r.t, r.finalSignals(), want, what)
}

var (
	refOnce   sync.Once
	ref       map[string]string
	refAlerts map[string]string // the alerts of the same run
)

// reference is the final detections of one run without faults (every stage in its own
// process, replay at full speed), made once: fault tests compare with it, so a difference
// they report comes from the fault, not from the stream-versus-batch contract
// (TestStreamMatchesAnalyze checks that one).
func reference(t *testing.T) map[string]string {
	t.Helper()
	refOnce.Do(func() {
		c := scenarioCampaign(t)
		r := newRun(t, runOpts{kafka: testenv.Kafka(t), clickhouse: testenv.ClickHouse(t)})
		r.processors()
		r.start("sink", "sink")
		rp := r.replay(c.posts, "max")
		if err := r.wait(rp, 90*time.Second); err != nil {
			t.Fatalf("reference replay: %v", err)
		}
		r.waitQuiet([]string{"extract", "detect", "correlate", "sink"}, 15*time.Second, 2*time.Minute)
		ref, refAlerts = r.finalSignals(), r.finalAlerts()
		r.stopAll()
	})
	if ref == nil {
		t.Fatal("the reference run without faults failed (see the first test that ran it)")
	}
	return ref
}

func compareDetections(t *testing.T, got, want map[string]string, what string) {
	t.Helper()
	compareRecords(t, "detections", got, want, what)
}

// compareRecords compares records by key and names up to five differences of each sort.
func compareRecords(t *testing.T, kind string, got, want map[string]string, what string) {
	t.Helper()
	var missing, extra, differ []string
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			missing = append(missing, k)
		case g != w:
			differ = append(differ, fmt.Sprintf("%s:\n   got  %s\n   want %s", k, g, w))
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			extra = append(extra, k)
		}
	}
	t.Logf("%s: %d from the stream, %d from %s; %d missing, %d extra, %d different", kind, len(got), len(want), what, len(missing), len(extra), len(differ))
	if len(missing)+len(extra)+len(differ) == 0 {
		return
	}
	sort.Strings(missing)
	sort.Strings(extra)
	sort.Strings(differ)
	t.Errorf("final %s differ from %s: missing %v, extra %v, different %v",
		kind, what, head(missing), head(extra), head(differ))
}

func head(s []string) []string {
	if len(s) > 5 {
		return append(s[:5:5], fmt.Sprintf("... %d more", len(s)-5))
	}
	return s
}

// local runs a deploy/local script with extra environment (a private instance).
func local(t *testing.T, env []string, script, verb string) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(testenv.Root(t), "deploy", "local", script), verb)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", script, verb, err, out)
	}
	t.Logf("%s %s: ok", script, verb)
}

// freeAddr returns a 127.0.0.1 address nothing listens on, for a role's --metrics.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// readyz returns a role's /readyz answer: its status and body, 0 while it does not answer.
func readyz(addr string) (int, string) {
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// checkNotReady fails t unless the role at addr answers /readyz with 503 naming component.
func checkNotReady(t *testing.T, addr, component string) {
	t.Helper()
	code, body := readyz(addr)
	t.Logf("/readyz: %d %s", code, strings.TrimSpace(body))
	if code != http.StatusServiceUnavailable || !strings.Contains(body, component+": failing for") {
		t.Errorf("/readyz answered %d %q, want 503 naming %q", code, body, component)
	}
}

// waitReady waits for the role at addr to answer /readyz with ok: a component is marked
// passing when its next work succeeds, a moment after what the test saw.
func waitReady(t *testing.T, addr string) {
	t.Helper()
	waitFor(t, 30*time.Second, "/readyz ok at "+addr, func() bool {
		code, _ := readyz(addr)
		return code == http.StatusOK
	})
}
