package stream

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// Transient decides whether a stage waits an outage out or stops: the errors a broker
// restart produces must be transient, errors about the request must not.
func TestTransient(t *testing.T) {
	cases := []struct {
		err  error
		want bool
	}{
		{&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{fmt.Errorf("failed to dial: %w", syscall.ECONNREFUSED), true},
		{fmt.Errorf("kafka.(*Client).Produce: fetch request error: %w", protocol.NewErrNoLeader("t", 0)), true},
		{kafka.LeaderNotAvailable, true},
		{kafka.NotLeaderForPartition, true},
		{kafka.MessageSizeTooLarge, false},
		{kafka.TopicAuthorizationFailed, false},
		{errors.New("write: message 0 has no topic"), false},
		{nil, false},
	}
	for _, c := range cases {
		if got := Transient(c.err); got != c.want {
			t.Errorf("Transient(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
