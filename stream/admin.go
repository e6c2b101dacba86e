package stream

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// PartitionRange is what one partition of a topic holds: offsets First (oldest retained) to
// End (the next offset to be written).
type PartitionRange struct {
	First, End int64
}

// TopicRanges returns the offset range of every partition of topic. The number of records a
// topic holds is the sum of End-First. Transient broker errors (a leader still being elected
// just after the topic was created) are retried for up to 15 s.
func TopicRanges(ctx context.Context, cfg Config, topic string) (map[int]PartitionRange, error) {
	return retryRanges(ctx, cfg, topic, time.Now().Add(15*time.Second), false)
}

// TopicState is what topic holds, or exists false as soon as the brokers answer that there is
// no such topic: a check (doctor) tells a missing topic from an unreachable broker at once,
// where TopicRanges waits up to 15 s for a topic still being created. Other transient answers
// (a leader still being elected) are retried until ctx ends.
func TopicState(ctx context.Context, cfg Config, topic string) (ranges map[int]PartitionRange, exists bool, err error) {
	ranges, err = retryRanges(ctx, cfg, topic, time.Time{}, true)
	if errors.Is(err, kafka.UnknownTopicOrPartition) {
		return nil, false, nil
	}
	return ranges, err == nil, err
}

// retryRanges reads topic's ranges, asking again every 200 ms while the brokers answer with a
// temporary error, until deadline (zero: until ctx ends). missing: an unknown topic is an
// answer, not something to wait for.
func retryRanges(ctx context.Context, cfg Config, topic string, deadline time.Time, missing bool) (map[int]PartitionRange, error) {
	for {
		out, err := topicRanges(ctx, cfg, topic)
		var kerr kafka.Error
		if err == nil || !errors.As(err, &kerr) || !kerr.Temporary() ||
			missing && errors.Is(err, kafka.UnknownTopicOrPartition) ||
			!deadline.IsZero() && time.Now().After(deadline) {
			return out, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func topicRanges(ctx context.Context, cfg Config, topic string) (map[int]PartitionRange, error) {
	client := newClient(cfg)
	defer client.Transport.(*kafka.Transport).CloseIdleConnections()
	parts, err := partitions(ctx, client, topic)
	if err != nil {
		return nil, err
	}
	reqs := make([]kafka.OffsetRequest, 0, 2*len(parts))
	for _, p := range parts {
		reqs = append(reqs, kafka.FirstOffsetOf(p), kafka.LastOffsetOf(p))
	}
	resp, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		return nil, fmt.Errorf("list offsets of %s: %w", topic, err)
	}
	out := make(map[int]PartitionRange, len(parts))
	for _, po := range resp.Topics[topic] {
		if po.Error != nil {
			return nil, fmt.Errorf("list offsets of %s partition %d: %w", topic, po.Partition, po.Error)
		}
		out[po.Partition] = PartitionRange{First: po.FirstOffset, End: po.LastOffset}
	}
	if len(out) != len(parts) {
		return nil, fmt.Errorf("list offsets of %s: %d partitions answered, want %d", topic, len(out), len(parts))
	}
	return out, nil
}

// Count is the number of records the ranges hold.
func Count(ranges map[int]PartitionRange) int64 {
	var n int64
	for _, r := range ranges {
		n += r.End - r.First
	}
	return n
}

// Committed returns the offsets group groupID committed on each partition of topic (-1 where
// it committed none).
func Committed(ctx context.Context, cfg Config, groupID, topic string) (map[int]int64, error) {
	client := newClient(cfg)
	defer client.Transport.(*kafka.Transport).CloseIdleConnections()
	parts, err := partitions(ctx, client, topic)
	if err != nil {
		return nil, err
	}
	resp, err := client.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: groupID, Topics: map[string][]int{topic: parts}})
	if err == nil {
		err = resp.Error
	}
	out := make(map[int]int64, len(parts))
	if errors.Is(err, kafka.GroupIdNotFound) {
		// Apache Kafka answers -1 for a group that never committed; the embedded broker
		// answers that the group does not exist.
		for _, p := range parts {
			out[p] = -1
		}
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("committed offsets of group %s on %s: %w", groupID, topic, err)
	}
	for _, p := range resp.Topics[topic] {
		if p.Error != nil {
			return nil, fmt.Errorf("committed offset of group %s on %s partition %d: %w", groupID, topic, p.Partition, p.Error)
		}
		out[p.Partition] = p.CommittedOffset
	}
	return out, nil
}

// CommitIfNone commits offsets (partition -> offset; negative ones are skipped) for group on
// topic when the group has committed none there: a consumer that moves to a new group id
// carries on where the old one stopped instead of starting over at Config.StartOffset. It
// says whether it committed. The commit is a standalone one (no generation, no member),
// which the broker refuses once the group has a member; that member committed offsets of
// its own, which is checked before failing.
func CommitIfNone(ctx context.Context, cfg Config, group, topic string, offsets map[int]int64) (bool, error) {
	have, err := Committed(ctx, cfg, group, topic)
	if err != nil {
		return false, err
	}
	if AnyCommitted(have) {
		return false, nil
	}
	var commits []kafka.OffsetCommit
	for p, off := range offsets {
		if off >= 0 {
			commits = append(commits, kafka.OffsetCommit{Partition: p, Offset: off})
		}
	}
	if len(commits) == 0 {
		return false, nil
	}
	client := newClient(cfg)
	defer client.Transport.(*kafka.Transport).CloseIdleConnections()
	resp, err := client.OffsetCommit(ctx, &kafka.OffsetCommitRequest{GroupID: group, GenerationID: -1, Topics: map[string][]kafka.OffsetCommit{topic: commits}})
	if err == nil {
		for _, p := range resp.Topics[topic] {
			if p.Error != nil {
				err = fmt.Errorf("partition %d: %w", p.Partition, p.Error)
				break
			}
		}
	}
	if err == nil {
		return true, nil
	}
	if now, cerr := Committed(ctx, cfg, group, topic); cerr == nil && AnyCommitted(now) {
		return false, nil // another member of the group committed first
	}
	return false, fmt.Errorf("commit offsets of group %s on %s: %w", group, topic, err)
}

// AnyCommitted says whether offsets (as Committed returns them) hold a committed one.
func AnyCommitted(offsets map[int]int64) bool {
	for _, off := range offsets {
		if off >= 0 {
			return true
		}
	}
	return false
}

// DeleteGroup deletes a consumer group that has no member; one that does not exist is not an
// error. A group that still has members is refused by the broker (kafka.NonEmptyGroup).
func DeleteGroup(ctx context.Context, cfg Config, group string) error {
	client := newClient(cfg)
	defer client.Transport.(*kafka.Transport).CloseIdleConnections()
	resp, err := client.DeleteGroups(ctx, &kafka.DeleteGroupsRequest{GroupIDs: []string{group}})
	if err == nil {
		err = resp.Errors[group]
	}
	if err == nil || errors.Is(err, kafka.GroupIdNotFound) {
		return nil
	}
	return fmt.Errorf("delete consumer group %s: %w", group, err)
}

// DeleteTopics deletes topics; ones that do not exist are not an error.
func DeleteTopics(ctx context.Context, cfg Config, topics ...string) error {
	client := newClient(cfg)
	defer client.Transport.(*kafka.Transport).CloseIdleConnections()
	resp, err := client.DeleteTopics(ctx, &kafka.DeleteTopicsRequest{Topics: topics})
	if err != nil {
		return fmt.Errorf("delete topics %v: %w", topics, err)
	}
	var errs []error
	for t, err := range resp.Errors {
		if err != nil && !errors.Is(err, kafka.UnknownTopicOrPartition) {
			errs = append(errs, fmt.Errorf("delete topic %s: %w", t, err))
		}
	}
	return errors.Join(errs...)
}

func partitions(ctx context.Context, client *kafka.Client, topic string) ([]int, error) {
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	for _, t := range md.Topics {
		if t.Name != topic {
			continue
		}
		if t.Error != nil {
			return nil, fmt.Errorf("metadata of %s: %w", topic, t.Error)
		}
		ps := make([]int, len(t.Partitions))
		for i, p := range t.Partitions {
			ps[i] = p.ID
		}
		return ps, nil
	}
	return nil, fmt.Errorf("metadata of %s: topic not found", topic)
}

// ReadPartition reads offsets [from, to) of one partition outside any consumer group, handing
// records to fn in batches of up to cfg.FetchBatch. Stages use it to rebuild windowed state
// from the log before they resume at their committed offset.
func ReadPartition(ctx context.Context, cfg Config, topic string, partition int, from, to int64, fn func([]Record) error) error {
	if to <= from {
		return nil
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:   cfg.Brokers,
		Topic:     topic,
		Partition: partition,
		Dialer:    &kafka.Dialer{ClientID: cfg.ClientID, Timeout: 10 * time.Second, DualStack: true},
		MinBytes:  1,
		MaxBytes:  16 << 20,
		MaxWait:   250 * time.Millisecond,
	})
	defer r.Close()
	if err := r.SetOffset(from); err != nil {
		return fmt.Errorf("read %s/%d from %d: %w", topic, partition, from, err)
	}
	batch := make([]Record, 0, cfg.FetchBatch)
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			return fmt.Errorf("read %s/%d at %d of [%d, %d): %w", topic, partition, r.Offset(), from, to, err)
		}
		if m.Offset >= to {
			break
		}
		batch = append(batch, Record{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value, Headers: fromKafkaHeaders(m.Headers), Time: m.Time, HighWaterMark: m.HighWaterMark})
		if len(batch) == cap(batch) || m.Offset == to-1 {
			if err := fn(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
		if m.Offset == to-1 {
			break
		}
	}
	if len(batch) > 0 {
		return fn(batch)
	}
	return nil
}
