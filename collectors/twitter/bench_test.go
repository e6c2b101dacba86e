package twitter

import (
	"fmt"
	"testing"
)

func benchDecode(b *testing.B, file string, decode func([]byte) error) {
	raw := read(b, file)
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	n := 0
	for b.Loop() {
		if err := decode(raw); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "posts/s")
}

func BenchmarkDecodeV1(b *testing.B) {
	for _, f := range []string{"v1/extended_compat.json", "v1/retweet.json"} {
		b.Run(f, func(b *testing.B) {
			benchDecode(b, f, func(raw []byte) error { _, err := DecodeV1(raw); return err })
		})
	}
}

func BenchmarkDecodeV2(b *testing.B) {
	for _, f := range []string{"v2/tweet.json", "v2/retweet.json"} {
		b.Run(f, func(b *testing.B) {
			benchDecode(b, f, func(raw []byte) error { _, err := DecodeV2(raw); return err })
		})
	}
}

func ExampleDecodeV1() {
	raw := []byte(`{"created_at":"Fri May 05 18:50:02 +0000 2017","id_str":"860559067518001152","text":"RT @JackPosobiec: Massive #MacronLeaks dump","user":{"id_str":"855123456789012480","screen_name":"FrPatriote2017","created_at":"Thu Apr 20 19:02:11 +0000 2017"},"retweeted_status":{"created_at":"Fri May 05 18:49:36 +0000 2017","id_str":"860558958722088960","text":"Massive #MacronLeaks dump","user":{"id_str":"785533418","screen_name":"JackPosobiec"},"entities":{"hashtags":[{"text":"MacronLeaks","indices":[8,20]}]}}}`)
	p, err := DecodeV1(raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.URI)
	fmt.Println(p.Author.Handle, p.CreatedAt)
	fmt.Println("reshare of", p.ReshareOf, p.Hashtags)
	// Output:
	// https://twitter.com/i/status/860559067518001152
	// FrPatriote2017 2017-05-05 18:50:02 +0000 UTC
	// reshare of https://twitter.com/i/status/860558958722088960 [MacronLeaks]
}
