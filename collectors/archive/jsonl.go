package archive

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/collectors"
	"github.com/leakwatch/leakwatch/collectors/twitter"
	"github.com/leakwatch/leakwatch/internal/jsonx"
)

// probe holds the keys that tell the JSONL line shapes apart.
type probe struct {
	Data     json.RawMessage `json:"data"`
	Errors   json.RawMessage `json:"errors"`
	IDStr    json.RawMessage `json:"id_str"`
	User     json.RawMessage `json:"user"`
	AuthorID json.RawMessage `json:"author_id"`
	Platform json.RawMessage `json:"platform"`
	Author   json.RawMessage `json:"author"`
	Target   json.RawMessage `json:"target"`
	Changed  json.RawMessage `json:"changed"`
	Delete   json.RawMessage `json:"delete"`
	Limit    json.RawMessage `json:"limit"`
}

// leakwatchPostPrefix starts every post leakwatch writes (platform is Post's first field).
var leakwatchPostPrefix = []byte(`{"platform":`)

func present(m json.RawMessage) bool { return len(m) > 0 && !bytes.Equal(m, []byte("null")) }

// DecodeLine decodes one JSONL line: a Twitter v1.1 tweet, a Twitter v2 tweet object or
// {"data":...,"includes":...} envelope, a leakwatch.Post as leakwatch writes it, or a
// leakwatch.SiteChange. Exactly one of post and change is set when err is nil. A post created,
// or a change observed, before 1990 or from 2100 on is an error (checkEventTime).
func DecodeLine(line []byte) (post *leakwatch.Post, change *leakwatch.SiteChange, err error) {
	post, change, err = decodeLine(line)
	switch {
	case err != nil:
		return nil, nil, err
	case post != nil:
		if err := checkCreated(post); err != nil {
			Recycle(post)
			return nil, nil, err
		}
	case change != nil:
		if err := checkEventTime(change.ObservedAt, ""); err != nil {
			return nil, nil, fmt.Errorf("site change %s: observed_at %w", change.Target, err)
		}
	}
	return post, change, nil
}

// checkCreated is checkEventTime for a decoded post's creation time.
func checkCreated(p *leakwatch.Post) error {
	if err := checkEventTime(p.CreatedAt, ""); err != nil {
		return fmt.Errorf("post %s: created_at %w", p.ID, err)
	}
	return nil
}

// isV2Page reports whether line is a Twitter v2 response page, {"data":[...],...}, as twarc2
// writes one a line: DecodeLine takes one tweet a line and refuses it.
func isV2Page(line []byte) bool {
	page := false
	s := scanner{b: bytes.TrimSpace(line)}
	s.object(func(key []byte) bool {
		if string(key) == "data" && s.i < len(s.b) && s.b[s.i] == '[' {
			page = true
			return false // found: the rest need not be read
		}
		return s.skip()
	})
	return page
}

// appendPage appends a v2 page's tweets to recs, each a post or a bad record of line n: the
// page's includes (authors, referenced tweets) are expanded into each tweet, and one bad tweet
// does not spoil the others. A bad tweet's record holds that tweet's JSON, not the page's.
func (r *Reader) appendPage(recs []collectors.Record, n int, line []byte) []collectors.Record {
	posts, bad, err := twitter.DecodeV2Page(line)
	if err != nil {
		return append(recs, r.bad(n, line, fmt.Errorf("twitter %w", err)))
	}
	for i := range posts {
		raw := posts[i].Raw
		posts[i].Raw = nil // the line is the record; the analysis never stores it
		p := fromTwitter(posts[i])
		if err := checkCreated(p); err != nil {
			Recycle(p)
			recs = append(recs, r.bad(n, raw, fmt.Errorf("twitter v2 page: %w", err)))
			continue
		}
		recs = append(recs, collectors.Record{Post: p})
	}
	for _, b := range bad {
		recs = append(recs, r.bad(n, b.Raw, fmt.Errorf("twitter v2 page: %w", b.Err)))
	}
	return recs
}

// decodeLine is DecodeLine without the check of the event time.
func decodeLine(line []byte) (post *leakwatch.Post, change *leakwatch.SiteChange, err error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return nil, nil, errors.New("not a JSON object")
	}
	// The two shapes most archives are made of are decoded in one pass, without the
	// reflection probe of the general path (a third to two fifths of reading them): leakwatch
	// writes platform first, so its own lines go straight to its decoder, which takes a line
	// only if the probe would have taken it for a leakwatch post; Twitter v1.1 tweets are told
	// from their keys alone. Should a decoder refuse a line, the general path decides again
	// and names the error.
	prefixed := bytes.HasPrefix(line, leakwatchPostPrefix)
	if prefixed {
		p := newPost()
		if ok, own, nfc := fastPost(line, p); ok && own {
			if p, err := finishNormalised(p, nfc); err == nil {
				return p, nil, nil
			}
		}
	}
	if s, ok := sniff(line); ok {
		switch {
		case s.leakwatchPost():
			if p, err := decodeNormalised(line, !prefixed); err == nil {
				return p, nil, nil
			}
		case s.tweetV1():
			if p, err := twitter.DecodeV1(line); err == nil {
				return fromTwitter(p), nil, nil
			}
		}
	}
	return decodeGeneral(line)
}

// decodeGeneral probes which keys line has, then decodes it as that shape.
func decodeGeneral(line []byte) (*leakwatch.Post, *leakwatch.SiteChange, error) {
	var pr probe
	if err := jsonx.Unmarshal(line, &pr); err != nil {
		return nil, nil, fmt.Errorf("json: %w", err)
	}
	switch {
	case present(pr.Data):
		p, err := twitter.DecodeV2(line)
		if err != nil {
			return nil, nil, fmt.Errorf("twitter v2: %w", err)
		}
		return fromTwitter(p), nil, nil
	case present(pr.Platform) && present(pr.Author):
		p, err := decodeNormalised(line, true)
		return p, nil, err
	case present(pr.Target) && present(pr.Changed):
		c, err := decodeChange(line)
		return nil, c, err
	case present(pr.User) || present(pr.IDStr):
		p, err := twitter.DecodeV1(line)
		if err != nil {
			return nil, nil, fmt.Errorf("twitter v1.1: %w", err)
		}
		return fromTwitter(p), nil, nil
	case present(pr.AuthorID):
		// A bare v2 tweet object, as flattening exporters write one per line.
		p, err := twitter.DecodeV2(line)
		if err != nil {
			return nil, nil, fmt.Errorf("twitter v2: %w", err)
		}
		return fromTwitter(p), nil, nil
	case present(pr.Delete), present(pr.Limit):
		return nil, nil, errors.New("twitter stream notice (delete or limit), not a tweet")
	case present(pr.Errors):
		return nil, nil, fmt.Errorf("twitter v2 error object without data: %s", truncate(pr.Errors, 200))
	}
	return nil, nil, errors.New("unrecognised object: not a Twitter v1.1 tweet, Twitter v2 tweet, leakwatch post or site change")
}

// archivePost fills what an archive line leaves open: the observation time is the event
// time, as nothing says when the archive's collector saw it.
func archivePost(p *leakwatch.Post) *leakwatch.Post {
	if p.ObservedAt.IsZero() {
		p.ObservedAt = p.CreatedAt
	}
	return p
}

// fromTwitter is archivePost for a post a Twitter decoder returned by value, in a recycled
// post (Recycle) when there is one.
func fromTwitter(p leakwatch.Post) *leakwatch.Post {
	q := newPost()
	*q = p
	return archivePost(q)
}

// decodeNormalised decodes a leakwatch post, by the decoder written for it first when fast
// (DecodeLine says not when it has just tried that on the line).
func decodeNormalised(line []byte, fast bool) (*leakwatch.Post, error) {
	p := newPost()
	decoded, nfc := false, false
	if fast {
		decoded, _, nfc = fastPost(line, p)
	}
	if !decoded {
		*p = leakwatch.Post{}
		if err := jsonx.Unmarshal(line, p); err != nil {
			return nil, fmt.Errorf("leakwatch post: %w", timeError(err))
		}
		nfc = false
	}
	return finishNormalised(p, nfc)
}

// finishNormalised checks a decoded leakwatch post and fills what it may leave out; nfc says
// its text is known to be valid UTF-8 in NFC already.
func finishNormalised(p *leakwatch.Post, nfc bool) (*leakwatch.Post, error) {
	switch {
	case p.ID == "" && p.URI == "":
		return nil, errors.New("leakwatch post: no id or uri")
	case p.Author.ID == "":
		return nil, errors.New("leakwatch post: author.id is empty")
	case p.CreatedAt.IsZero():
		// encoding/json leaves a missing time and the zero time spelt out alike.
		return nil, errors.New("leakwatch post: created_at is missing, or the placeholder 0001-01-01T00:00:00Z: not a post time")
	}
	if p.URI == "" {
		p.URI = PostURI(p.Platform, p.ID)
	}
	if p.ID == "" {
		p.ID = p.URI
	}
	if !nfc {
		p.Text = cleanText(p.Text)
	}
	return archivePost(p), nil
}

func decodeChange(line []byte) (*leakwatch.SiteChange, error) {
	var c leakwatch.SiteChange
	if err := jsonx.Unmarshal(line, &c); err != nil {
		return nil, fmt.Errorf("site change: %w", timeError(err))
	}
	switch {
	case c.Target == "":
		return nil, errors.New("site change: target is empty")
	case c.ObservedAt.IsZero():
		return nil, errors.New("site change: observed_at is missing")
	}
	return &c, nil
}

// timeError says plainly what time.Time's own error on a JSON time without an offset leaves
// to be guessed from its layout ("cannot parse "" as "Z07:00""): a time zone is not assumed
// for JSON, whose times carry their offset.
func timeError(err error) error {
	var pe *time.ParseError
	if errors.As(err, &pe) && pe.LayoutElem == "Z07:00" && pe.ValueElem == "" {
		return fmt.Errorf("time %q has no UTC offset: write it with Z (UTC) or an offset such as +02:00 (--time-zone applies to CSV only)", pe.Value)
	}
	return err
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "..."
}
