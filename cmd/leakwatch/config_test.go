package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch/analytics/volume"
	"github.com/leakwatch/leakwatch/internal/testenv"
)

// siteConfig copies a shipped config file with its calendar path pointed at the repository's
// copy of the French 2017 calendar and the sites state in a temporary directory (the shipped
// files name where a deployment mounts them).
func siteConfig(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.Root(t), path))
	if err != nil {
		t.Fatal(err)
	}
	cal := filepath.Join(testenv.Root(t), "deploy", "compose", "calendar.yaml")
	b = bytes.Replace(b, []byte("calendar: /etc/leakwatch/calendar.yaml"), []byte("calendar: "+cal), 1)
	dir := t.TempDir()
	// The sites watcher and the Bluesky collector check at start that their state can be
	// written where the file says.
	b = bytes.Replace(b, []byte("state_file: /var/lib/leakwatch/"), []byte("state_file: "+dir+"/"), 1)
	b = bytes.Replace(b, []byte("cursor_file: /var/lib/leakwatch/"), []byte("cursor_file: "+dir+"/"), 1)
	out := filepath.Join(dir, filepath.Base(path))
	if err := os.WriteFile(out, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestShippedConfigsLoad(t *testing.T) {
	for _, path := range []string{"leakwatch.example.yaml", "deploy/compose/leakwatch.yaml"} {
		t.Run(path, func(t *testing.T) {
			c, err := loadConfig(siteConfig(t, path))
			if err != nil {
				t.Fatal(err)
			}
			if c.Analysis.Calendar == nil || len(c.Analysis.Calendar.Events) == 0 {
				t.Fatal("calendar not loaded")
			}
		})
	}
	c, err := loadConfig(siteConfig(t, "leakwatch.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.Analysis.Entities.Candidates); n != 5 {
		t.Errorf("example lists %d candidates, want the five of 2017", n)
	}
	if len(c.Collectors.TwitterV2) != 1 || len(c.Collectors.TwitterV2[0].Value.Expansions) == 0 {
		t.Errorf("a twitter_v2 entry must keep its package defaults for fields it leaves out: %+v", c.Collectors.TwitterV2)
	}
	if len(c.Collectors.Bluesky) != 1 || c.Collectors.Bluesky[0].Value.PingInterval == 0 {
		t.Errorf("a bluesky entry must keep its package defaults: %+v", c.Collectors.Bluesky)
	}
	srcs, err := buildSources(c.Collectors, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// twitter v2, mastodon.social (one stream each: public, hashtag), bluesky, feeds, sites.
	if len(srcs) < 5 {
		t.Errorf("the example builds %d sources", len(srcs))
	}
}

func TestBadConfigNamesTheField(t *testing.T) {
	cases := map[string]string{
		"kafka:\n  brokerz: [x]\n":   "brokerz",
		"kafka:\n  partitions: -1\n": "kafka",
		"collectors:\n  bluesky:\n    - url: ws://x\n      colections: []\n": "colections",
		"analysis:\n  coord:\n    min_weight: 0\n":                           "min_weight",
		"calendar: /nonexistent/calendar.yaml\n":                             "/nonexistent/calendar.yaml",
		// the single mapping docs/COLLECTORS.md once showed; yaml's own message named a Go type
		"collectors:\n  twitter_v2:\n    name: x\n":  "collectors.twitter_v2 takes a list of sources (- name: ...)",
		"collectors:\n  bluesky:\n    url: ws://x\n": "collectors.bluesky takes a list of sources (- name: ...)",
		"collectors:\n  twitter_v1: {name: x}\n":     "collectors.twitter_v1 takes a list of sources (- name: ...)",
		// a restart would rebuild detect and correlate from nothing
		"kafka:\n  retention: 1m\n": "kafka: retention: 1m0s is shorter than what a restarted stage reads again to rebuild its state (analysis.burst.learning and lateness, 24h5m0s",
	}
	for body, want := range cases {
		p := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(p, []byte(body), 0o644)
		_, err := loadConfig(p)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("config %q: error %v, want one naming %q", body, err, want)
		}
	}
}

func TestEmptyConfigIsDefaults(t *testing.T) {
	p := filepath.Join(t.TempDir(), "empty.yaml")
	os.WriteFile(p, nil, 0o644)
	c, err := loadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.Kafka.Brokers[0] != DefaultConfig().Kafka.Brokers[0] {
		t.Fatalf("brokers %v", c.Kafka.Brokers)
	}
}

// The compose deployment mounts deploy/compose/grafana: the export command README and
// compose.yaml give must write exactly those files, no more, no fewer (run without its flags it
// pointed the data source at 127.0.0.1:19000 as user default, which breaks the deployment).
func TestComposeGrafanaProvisioningIsCurrent(t *testing.T) {
	const shippedRel = "deploy/compose/grafana"
	root := testenv.Root(t)
	shipped := filepath.Join(root, filepath.FromSlash(shippedRel))
	for _, doc := range []string{"README.md", "deploy/compose/compose.yaml"} {
		t.Run(doc, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(doc)))
			if err != nil {
				t.Fatal(err)
			}
			var args []string
			for _, line := range strings.Split(string(b), "\n") {
				_, cmd, ok := strings.Cut(line, "leakwatch dashboards export "+shippedRel)
				if !ok {
					continue
				}
				cmd, _, _ = strings.Cut(cmd, "#") // a comment after the command
				if args != nil {
					t.Fatalf("%s gives the export command twice", doc)
				}
				args = strings.Fields(strings.Trim(cmd, "` "))
			}
			if args == nil {
				t.Fatalf("%s does not give the command that exports %s", doc, shippedRel)
			}
			dir := t.TempDir()
			var stdout, stderr strings.Builder
			if code := run(context.Background(), append([]string{"dashboards", "export", dir}, args...), &stdout, &stderr); code != 0 {
				t.Fatalf("leakwatch dashboards export DIR %s: exit %d: %s", strings.Join(args, " "), code, stderr.String())
			}
			cmd := fmt.Sprintf("`leakwatch dashboards export %s %s` (%s)", shippedRel, strings.Join(args, " "), doc)
			for _, pair := range [][2]string{{dir, shipped}, {shipped, dir}} {
				filepath.WalkDir(pair[0], func(p string, d os.DirEntry, err error) error {
					if err != nil || d.IsDir() {
						return err
					}
					rel, _ := filepath.Rel(pair[0], p)
					a, _ := os.ReadFile(p)
					other, err := os.ReadFile(filepath.Join(pair[1], rel))
					switch {
					case err != nil && pair[0] == dir:
						t.Errorf("%s/%s is missing: run %s", shippedRel, rel, cmd)
					case err != nil:
						t.Errorf("%s/%s is not written by %s: remove it, or fix the command", shippedRel, rel, cmd)
					case pair[0] == dir && !bytes.Equal(a, other):
						t.Errorf("%s/%s is not what %s writes: fix the command's flags, or run it when the boards changed", shippedRel, rel, cmd)
					}
					return nil
				})
			}
		})
	}
}

// A secret store often writes the token with a final newline: it is not part of the token,
// or no browser or Bearer header would ever match it.
func TestLiveTokenFromEnvIsTrimmed(t *testing.T) {
	t.Setenv("LEAKWATCH_LIVE_TOKEN", "s3cret\n")
	c, err := readConfig("", false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Live.Token != "s3cret" {
		t.Errorf("live token %q, want %q", c.Live.Token, "s3cret")
	}
}

// Every YAML example of docs/COLLECTORS.md is a section of collectors: and must load as one,
// through the loader a deployment uses: the twitter_v2, twitter_v1 and bluesky examples were
// single mappings where the file takes lists, and did not load.
func TestCollectorsDocExamplesLoad(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(testenv.Root(t), "docs", "COLLECTORS.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(doc, -1)
	if len(blocks) == 0 {
		t.Fatal("no yaml examples found")
	}
	for i, m := range blocks {
		first, _, _ := strings.Cut(string(m[1]), ":")
		t.Run(fmt.Sprintf("%d-%s", i, first), func(t *testing.T) {
			var b strings.Builder
			b.WriteString("collectors:\n")
			for _, l := range strings.SplitAfter(string(m[1]), "\n") {
				if l != "" {
					b.WriteString("  " + l)
				}
			}
			p := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := loadConfig(p); err != nil {
				t.Errorf("%v\n%s", err, b.String())
			}
		})
	}
}

// Every analysis config of examples/ loads through analyze's loader, each candidate named
// and found by at least one account; examples/fr-2017.yaml names the eleven candidates of
// the French first round, and each of them is mentioned in the 4 April 2017 debate's tweets.
func TestExampleConfigsLoad(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testenv.Root(t), "examples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example configs: %v", err)
	}
	for _, f := range files {
		c, err := readConfig(f, false)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		cands := c.Analysis.Entities.Candidates
		if len(cands) == 0 {
			t.Errorf("%s: no candidates", filepath.Base(f))
		}
		for _, cand := range cands {
			if len(cand.Names) == 0 || len(cand.Handles) == 0 {
				t.Errorf("%s: candidate %s lacks names or handles: %+v", filepath.Base(f), cand.ID, cand)
			}
		}
	}

	fr := filepath.Join(testenv.Root(t), "examples", "fr-2017.yaml")
	c, err := readConfig(fr, false)
	if err != nil {
		t.Fatal(err)
	}
	eleven := []string{"arthaud", "asselineau", "cheminade", "dupontaignan", "fillon", "hamon", "lassalle", "lepen", "macron", "melenchon", "poutou"}
	var ids []string
	for _, cand := range c.Analysis.Entities.Candidates {
		ids = append(ids, cand.ID)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, eleven) {
		t.Errorf("fr-2017.yaml candidates %v, want the first round's %v", ids, eleven)
	}
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCmd(t, "analyze", testenv.SharedData(t, "data/fr-2017-debates/tweets_debat_20170404.csv"),
		"--columns", "author=nom,handle=nom,time=time,text=tweet,retweet=is_retweet", "--config", fr, "--progress", "0", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "volume.json"))
	if err != nil {
		t.Fatal(err)
	}
	var series []volume.Series
	if err := json.Unmarshal(b, &series); err != nil {
		t.Fatal(err)
	}
	mentioned := map[string]int{}
	for _, s := range series {
		for _, p := range s.Points {
			mentioned[s.Name] += p.N
		}
	}
	for _, id := range eleven {
		if mentioned[id] == 0 {
			t.Errorf("%s not mentioned in the 4 April debate's tweets: %v", id, mentioned)
		}
	}
}

// A config's relative file paths are the config file's neighbours, whatever the working
// directory; absolute ones and a token file named by the environment stay as given.
func TestConfigFilesBesideTheConfig(t *testing.T) {
	dir := t.TempDir()
	cal := "name: Test\ntimezone: UTC\nevents:\n  - {id: vote, kind: vote, start: 2017-05-07}\n"
	if err := os.WriteFile(filepath.Join(dir, "cal.yaml"), []byte(cal), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := "calendar: cal.yaml\nalerts:\n  webhooks:\n    - {name: desk, url: \"http://127.0.0.1:9/hook\", secret_file: secrets/desk}\nlive:\n  token_file: /run/secrets/live\n"
	path := filepath.Join(dir, "leakwatch.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // elsewhere
	c, err := loadConfig(path)
	if err != nil {
		t.Fatalf("a calendar beside the config, loaded from another directory: %v", err)
	}
	if c.Calendar != filepath.Join(dir, "cal.yaml") || c.Analysis.Calendar == nil || c.Analysis.Calendar.Name != "Test" {
		t.Errorf("calendar %q (%v), want %s read", c.Calendar, c.Analysis.Calendar, filepath.Join(dir, "cal.yaml"))
	}
	if got := c.Alerts.Webhooks[0].SecretFile; got != filepath.Join(dir, "secrets", "desk") {
		t.Errorf("webhook secret_file %q, want it beside the config", got)
	}
	if c.Live.TokenFile != "/run/secrets/live" {
		t.Errorf("absolute token_file became %q", c.Live.TokenFile)
	}
	t.Setenv("LEAKWATCH_LIVE_TOKEN_FILE", "token.txt")
	if err := os.WriteFile(path, []byte("calendar: cal.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c, err = loadConfig(path); err != nil || c.Live.TokenFile != "token.txt" {
		t.Errorf("token file from the environment: %q, %v; want token.txt as given", c.Live.TokenFile, err)
	}
}
