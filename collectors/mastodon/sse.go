package mastodon

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/leakwatch/leakwatch/collectors/internal/lines"
)

// event is one server-sent event (https://html.spec.whatwg.org/multipage/server-sent-events.html):
// "event:" names it, "data:" lines carry the payload, a blank line ends it, and lines
// starting with ":" are comments (Mastodon's ":thump" heartbeat).
type event struct {
	Name string
	Data []byte
}

// lineReader is where events are read from: an open stream (httpstream.Conn), or bytes in tests.
type lineReader interface {
	Next(ctx context.Context) ([]byte, error)
}

// errCut is returned with the part of an event that arrived before the connection ended.
var errCut = errors.New("stream ended inside the event")

// nextEvent reads lines until an event is complete. An over-long line spoils only its
// event, which comes back with the error. A connection that ends inside an event returns
// what arrived of it, the cut line included, with errCut.
func nextEvent(ctx context.Context, c lineReader) (event, error) {
	var ev event
	var data bytes.Buffer
	hasData, spoiled := false, error(nil)
	field := func(line []byte) bool {
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(name) {
		case "":
			// comment
		case "event":
			ev.Name = string(value)
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			data.Write(value)
			hasData = true
		default:
			return false // "id" and "retry" are not used by Mastodon's streaming server
		}
		return true
	}
	for {
		line, err := c.Next(ctx)
		if errors.Is(err, lines.ErrTooLong) {
			spoiled = err
			continue
		}
		if err != nil {
			if errors.Is(err, lines.ErrCut) && len(line) > 0 && !field(line) {
				// A field name cut short: kept as it arrived, so the dead letter has it.
				if hasData {
					data.WriteByte('\n')
				}
				data.Write(line)
				hasData = true
			}
			if ev.Name != "" || hasData {
				// The connection ended inside an event: report what arrived of it.
				ev.Data = data.Bytes()
				return ev, fmt.Errorf("%w (%w)", errCut, err)
			}
			return event{}, err
		}
		if len(line) == 0 {
			if ev.Name == "" && !hasData && spoiled == nil {
				continue // blank line after a comment or between events
			}
			if ev.Name == "" {
				ev.Name = "message"
			}
			ev.Data = data.Bytes()
			return ev, spoiled
		}
		field(line)
	}
}
