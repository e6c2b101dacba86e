package main

import (
	"context"
	"testing"

	"github.com/leakwatch/leakwatch/warehouse"
)

// migrateOnce opens (and so migrates) the warehouse of c, as the sink does on start.
func migrateOnce(t *testing.T, c Config) error {
	t.Helper()
	w, err := warehouse.Open(context.Background(), c.ClickHouse, nil)
	if err != nil {
		return err
	}
	return w.Close()
}
