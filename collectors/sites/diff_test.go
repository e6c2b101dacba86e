package sites

import (
	"fmt"
	"strings"
	"testing"
)

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "|")
}

func TestDiffLines(t *testing.T) {
	tests := []struct {
		name, a, b, want string
	}{
		{"equal", "a|b", "a|b", "--- previous\n+++ current\n"},
		{"insert", "a|c", "a|b|c", "--- previous\n+++ current\n@@ -1,2 +1,3 @@\n a\n+b\n c\n"},
		{"delete", "a|b|c", "a|c", "--- previous\n+++ current\n@@ -1,3 +1,2 @@\n a\n-b\n c\n"},
		{"from empty", "", "x|y", "--- previous\n+++ current\n@@ -0,0 +1,2 @@\n+x\n+y\n"},
		{"to empty", "x", "", "--- previous\n+++ current\n@@ -1 +0,0 @@\n-x\n"},
		{"middle change keeps lcs", "a|b|c|d|e", "a|x|c|y|e", "--- previous\n+++ current\n@@ -1,5 +1,5 @@\n a\n-b\n+x\n c\n-d\n+y\n e\n"},
		{"two hunks", "1|2|3|4|5|6|7|8|9|10|11|12", "1|X|3|4|5|6|7|8|9|10|Y|12",
			"--- previous\n+++ current\n@@ -1,5 +1,5 @@\n 1\n-2\n+X\n 3\n 4\n 5\n@@ -8,5 +8,5 @@\n 8\n 9\n 10\n-11\n+Y\n 12\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := unified(diffLines(lines(tc.a), lines(tc.b), 100), 3, 1<<20)
			if got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

// TestDiffMinimal checks the edit script against an LCS computed by dynamic programming: Myers
// must find a shortest script, and applying it must turn a into b.
func TestDiffMinimal(t *testing.T) {
	cases := [][2]string{
		{"a|b|c|a|b|b|a", "c|b|a|b|a|c"},
		{"x|y|z", "z|y|x"},
		{"p|q|r|s|t|u|v", "q|r|s|x|u|v|w"},
		{"a|a|a|b", "b|a|a|a"},
	}
	for _, c := range cases {
		a, b := lines(c[0]), lines(c[1])
		edits := diffLines(a, b, 100)
		var gotA, gotB []string
		n := 0
		for _, e := range edits {
			if e.op != '+' {
				gotA = append(gotA, e.line)
			}
			if e.op != '-' {
				gotB = append(gotB, e.line)
			}
			if e.op != ' ' {
				n++
			}
		}
		if strings.Join(gotA, "|") != c[0] || strings.Join(gotB, "|") != c[1] {
			t.Errorf("%v: script does not rebuild both sides", c)
		}
		if want := len(a) + len(b) - 2*lcs(a, b); n != want {
			t.Errorf("%v: %d edits, shortest is %d", c, n, want)
		}
	}
}

func lcs(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

func TestDiffBounds(t *testing.T) {
	var a, b []string
	for i := range 3000 {
		a = append(a, fmt.Sprintf("old %d", i))
		b = append(b, fmt.Sprintf("new %d", i))
	}
	// 6000 edits needed, 50 allowed: the whole middle is replaced, still a correct script.
	edits := diffLines(a, b, 50)
	if len(edits) != 6000 || edits[0].op != '-' || edits[5999].op != '+' {
		t.Fatalf("fallback script has %d edits", len(edits))
	}
	out := unified(edits, 3, 1024)
	if len(out) > 1024+64 || !strings.HasSuffix(out, "... diff truncated: 6000 more lines\n") {
		t.Fatalf("bounded diff is %d bytes, ends %q", len(out), out[len(out)-60:])
	}
}

func TestAssessWeakSignalsAlone(t *testing.T) {
	// A news page reporting a hack: one weak word, small edit, no new scripts.
	in := assessInput{
		edits:            diffLines(lines("Programme|Meeting dimanche|Contact"), lines("Programme|Our party was hacked last night, says the treasurer|Contact"), 100),
		replacedFraction: 0.6,
		minOldChars:      10,
		hadContent:       true,
	}
	if d := assess(in); d.is() || len(d.reasons) != 1 {
		t.Fatalf("one weak signal flagged as defacement: %+v", d)
	}
	// The same with a new third-party script: two weak signals.
	in.newScripts, in.siteDomain = []string{"example.ru"}, "durand.example"
	if d := assess(in); !d.is() {
		t.Fatalf("two weak signals not flagged: %+v", d)
	}
	// A redesign: most of the text replaced and an analytics tag added. The tag is a
	// "scripts" change, not a second signal: no critical page on redesign day. A script from an
	// unknown domain on the same redesign still is one.
	redesign := assessInput{
		edits:            diffLines(lines("Programme|Meeting dimanche à Lyon|Contact|Presse"), lines("Nos propositions|Agenda de la semaine|Nous rejoindre|Espace presse"), 100),
		replacedFraction: 0.6, minOldChars: 10, hadContent: true, siteDomain: "durand.example",
		newScripts: []string{"googletagmanager.com"}, commonScripts: DefaultConfig().CommonScriptDomains,
	}
	if d := assess(redesign); d.is() || len(d.reasons) != 1 {
		t.Fatalf("a redesign with an analytics tag flagged: %+v", d)
	}
	redesign.newScripts = append(redesign.newScripts, "cdn-static-host.ru")
	if d := assess(redesign); !d.is() {
		t.Fatalf("text replaced and a script from an unknown domain not flagged: %+v", d)
	}
	// A custom term is strong.
	in = assessInput{edits: diffLines(nil, lines("Vive la cyberarmée"), 100), extraTerms: []string{"CyberArmée"}, replacedFraction: 0.6}
	if d := assess(in); !d.is() {
		t.Fatalf("configured term not flagged: %+v", d)
	}
}

func BenchmarkDiffLines(b *testing.B) {
	var a, c []string
	for i := range 2000 {
		a = append(a, fmt.Sprintf("paragraph %d of the candidate's programme", i))
	}
	c = append(c, a...)
	for i := 0; i < len(c); i += 50 {
		c[i] = "edited " + c[i]
	}
	b.ReportAllocs()
	for b.Loop() {
		unified(diffLines(a, c, 2000), 3, 16<<10)
	}
	b.ReportMetric(float64(b.N*len(a))/b.Elapsed().Seconds(), "lines/s")
}
