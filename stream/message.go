package stream

import (
	"strconv"
	"time"
)

// Header is one Kafka record header.
type Header struct {
	Key   string
	Value []byte
}

// Message is a record to write: the topic it goes to, its partitioning key, value and headers.
// Time is left zero by the encoders so the broker's clock stamps it: event time lives in the
// value, and a 2016 event time as the Kafka timestamp would make retention delete it at once.
type Message struct {
	Topic   string
	Key     []byte
	Value   []byte
	Headers []Header
	Time    time.Time
}

// HeaderPartition, on a message to write, sends it to that partition instead of the one its
// key hashes to. Stages use it to broadcast control records (event-time watermarks) to every
// partition of a topic.
const HeaderPartition = "leakwatch-partition"

// ToPartition makes the writer send m to partition p of its topic.
func (m *Message) ToPartition(p int) {
	m.Headers = append(m.Headers, Header{Key: HeaderPartition, Value: []byte(strconv.Itoa(p))})
}

// Record is a record read from a topic, with where it came from.
type Record struct {
	Topic     string
	Partition int
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []Header
	Time      time.Time
	// HighWaterMark is the partition's end offset when the record was fetched: the record
	// is the newest one there when Offset+1 == HighWaterMark.
	HighWaterMark int64
}

// Header returns the value of the last header named key.
func (r Record) Header(key string) (string, bool) { return header(r.Headers, key) }

// Header returns the value of the last header named key.
func (m Message) Header(key string) (string, bool) { return header(m.Headers, key) }

// Where names the record as topic/partition@offset, the form errors and logs use.
func (r Record) Where() string {
	return r.Topic + "/" + strconv.Itoa(r.Partition) + "@" + strconv.FormatInt(r.Offset, 10)
}

func header(hs []Header, key string) (string, bool) {
	for i := len(hs) - 1; i >= 0; i-- {
		if hs[i].Key == key {
			return string(hs[i].Value), true
		}
	}
	return "", false
}
