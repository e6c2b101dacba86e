package entities

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/internal/strhash"
)

// TestMinHashEstimatesJaccard checks the signature agrees on a fraction of rows close to the
// Jaccard similarity of the shingle sets, and band collisions follow 1-(1-s^r)^b.
func TestMinHashEstimatesJaccard(t *testing.T) {
	m := newMinhasher(9, 6)
	rng := rand.New(rand.NewPCG(1, 2))
	const trials = 400
	for _, j := range []float64{0.3, 0.5, 0.7, 0.9} {
		agree, collide := 0.0, 0
		for range trials {
			// 40 shared + k private to each side: J = 40 / (40 + 2k).
			k := int(math.Round(40 * (1/j - 1) / 2))
			var a, b []uint64
			for range 40 {
				x := rng.Uint64()
				a, b = append(a, x), append(b, x)
			}
			for range k {
				a, b = append(a, rng.Uint64()), append(b, rng.Uint64())
			}
			exact := 40 / float64(40+2*k)
			var sa, sb []uint64
			var ka, kb []uint64
			ka = m.appendBandKeys(ka, a)
			sa = append(sa, m.sig...)
			kb = m.appendBandKeys(kb, b)
			sb = append(sb, m.sig...)
			same := 0
			for i := range sa {
				if sa[i] == sb[i] {
					same++
				}
			}
			agree += float64(same)/float64(len(sa)) - exact
			for i := range ka {
				if ka[i] == kb[i] {
					collide++
					break
				}
			}
		}
		if bias := agree / trials; math.Abs(bias) > 0.03 {
			t.Errorf("J=%.1f: signature agreement off by %.3f on average", j, bias)
		}
		want := 1 - math.Pow(1-math.Pow(j, 6), 9)
		if got := float64(collide) / trials; math.Abs(got-want) > 0.08 {
			t.Errorf("J=%.1f: band collision rate %.2f, want about %.2f", j, got, want)
		}
	}
}

// BenchmarkBandKeys is the MinHash of one tweet-sized text: 11 shingles (a 12-word tweet),
// 9 bands of 6 rows.
func BenchmarkBandKeys(b *testing.B) {
	m := newMinhasher(9, 6)
	sh := make([]uint64, 11)
	for i := range sh {
		sh[i] = strhash.Mix(uint64(i))
	}
	paths := []struct {
		name   string
		vector bool
	}{{"go", false}, {"avx512", true}}
	for _, p := range paths {
		b.Run(p.name, func(b *testing.B) {
			if p.vector && !minhashVector {
				b.Skip("no AVX-512 with 64-bit multiplications on this CPU")
			}
			m.vector = p.vector
			var keys []uint64
			for b.Loop() {
				keys = m.appendBandKeys(keys[:0], sh)
			}
		})
	}
}

// TestRepeatedTextsKeepTheirBands extracts many texts, most of them repeated, some the same
// words in another order or case, with one extractor (which remembers recent texts' bands)
// and each with a new one: every post must get the same near-duplicate bands either way,
// however the remembered texts collide.
func TestRepeatedTextsKeepTheirBands(t *testing.T) {
	words := strings.Fields("la le de vote macron leaks dump emails campagne pen debat fillon urne silence")
	r := rand.New(rand.NewPCG(5, 6))
	var texts []string
	for range 300 {
		n := 8 + r.IntN(8)
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[r.IntN(len(words))])
		}
		texts = append(texts, b.String())
	}
	cfg := DefaultConfig()
	long, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	bands := func(ms []leakwatch.Mention) (out []string) {
		for _, m := range ms {
			if strings.HasPrefix(m.Object, "neartext:") {
				out = append(out, m.Object)
			}
		}
		return out
	}
	repeats := RepeatedPosts(r, texts, 20000, func(i int, p leakwatch.Post) {
		// A handle of its own: no post has the content of one before, so none takes its
		// objects from a remembered post, and every one takes its bands from recent texts.
		p.Mentions = []string{fmt.Sprintf("@u%d", i)}
		fresh, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, want := bands(long.Extract(p)), bands(fresh.Extract(p))
		if len(want) != cfg.NearText.Bands || !slices.Equal(got, want) {
			t.Fatalf("post %d %q: bands %v, want %v", i, p.Text, got, want)
		}
	})
	if repeats < 10000 {
		t.Fatalf("only %d repeated texts: the test does not exercise remembered bands", repeats)
	}
}

// RepeatedPosts calls check with n posts whose texts are drawn from texts by r, every
// seventh upper-cased (the same words in another case), and returns how many repeated an
// earlier text. The external tests use it too.
func RepeatedPosts(r *rand.Rand, texts []string, n int, check func(i int, p leakwatch.Post)) (repeats int) {
	seen := map[string]bool{}
	for i := range n {
		text := texts[r.IntN(len(texts))]
		if i%7 == 0 {
			text = strings.ToUpper(text)
		}
		if seen[text] {
			repeats++
		}
		seen[text] = true
		check(i, leakwatch.Post{Platform: "twitter", ID: "1", URI: "twitter:1", Author: leakwatch.Account{ID: "42"},
			CreatedAt: time.Unix(int64(i), 0), Text: text})
	}
	return repeats
}

// TestBandKeysMatchDefinition: the signature computed three hash functions and two shingles
// at a time equals the definition, min over shingles of a_i*x + b_i, band by band, for any
// number of shingles and of hash functions (multiples of three or not).
func TestBandKeysMatchDefinition(t *testing.T) {
	for _, br := range [][2]int{{9, 6}, {6, 5}, {5, 5}, {4, 4}, {1, 1}, {1, 2}, {7, 3}} {
		m := newMinhasher(br[0], br[1])
		for n := 0; n <= 41; n++ {
			sh := make([]uint64, n)
			for i := range sh {
				sh[i] = strhash.Mix(uint64(1000*n + i))
			}
			var got []uint64
			got = m.appendBandKeys(got, sh)
			for band := range br[0] {
				h := uint64(strhash.FNVOffset) ^ uint64(band)
				for r := range br[1] {
					i := band*br[1] + r
					v := uint64(math.MaxUint64)
					for _, x := range sh {
						v = min(v, m.a[i]*x+m.b[i])
					}
					h = strhash.Mix(h ^ v)
				}
				if got[band] != h {
					t.Fatalf("%d bands of %d rows, %d shingles: band %d key %x, want %x", br[0], br[1], n, band, got[band], h)
				}
			}
		}
	}
}

// TestMinHashVectorMatchesScalar: the vector signature is the Go loop's bit for bit, for
// signature lengths that fill the 32- and 8-function passes and ones that pad the last vector,
// and for one shingle to many.
func TestMinHashVectorMatchesScalar(t *testing.T) {
	if !minhashVector {
		t.Skip("this CPU has no AVX-512 with 64-bit multiplications: the Go loop is the only one")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, br := range [][2]int{{9, 6}, {1, 1}, {7, 1}, {1, 8}, {3, 3}, {31, 1}, {4, 8}, {11, 3}, {5, 8}, {16, 4}, {20, 5}} {
		m := newMinhasher(br[0], br[1])
		for _, n := range []int{1, 2, 3, 11, 40, 257} {
			shingles := make([]uint64, n)
			for i := range shingles {
				shingles[i] = rng.Uint64()
			}
			m.vector = false
			scalar := m.appendBandKeys(nil, shingles)
			want := slices.Clone(m.sig)
			m.vector = true
			clear(m.sig[:cap(m.sig)])
			vector := m.appendBandKeys(nil, shingles)
			if !slices.Equal(m.sig, want) || !slices.Equal(vector, scalar) {
				t.Fatalf("%d bands of %d rows, %d shingles: vector signature %x, Go loop %x", br[0], br[1], n, m.sig, want)
			}
		}
	}
}
