// Package embedded runs a Kafka-protocol broker inside the process, for the one-process demo
// and `run --embedded`: the same stage code talks to it as to a real cluster.
//
// It is franz-go's kfake with its data under a directory, so a restarted demo finds its
// topics and committed offsets again. It is not a production broker: real deployments use
// Apache Kafka (deploy/local, deploy/compose).
package embedded

import (
	"fmt"
	"os"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Broker is a running embedded broker.
type Broker struct {
	cluster *kfake.Cluster
}

// Start starts a single-node broker on 127.0.0.1 (port 0: any free port) persisting under dir
// (empty: in memory only).
func Start(dir string, port int, partitions int) (*Broker, error) {
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		kfake.DefaultNumPartitions(partitions),
		kfake.AllowAutoTopicCreation(),
		kfake.ClusterID("leakwatch-embedded"),
	}
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("embedded broker data dir %s: %w", dir, err)
		}
		opts = append(opts, kfake.DataDir(dir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("embedded broker: %w", err)
	}
	return &Broker{cluster: c}, nil
}

// Addrs returns the bootstrap addresses to give to Kafka clients.
func (b *Broker) Addrs() []string { return b.cluster.ListenAddrs() }

// Close stops the broker, flushing its data dir.
func (b *Broker) Close() { b.cluster.Close() }
