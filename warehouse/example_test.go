package warehouse_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/leakwatch/leakwatch"
	"github.com/leakwatch/leakwatch/warehouse"
)

// Store mentions and read the per-candidate volume back, in 10-minute steps.
// (Compiled, not run: it needs the ClickHouse of deploy/local.)
func Example() {
	ctx := context.Background()
	w, err := warehouse.Open(ctx, warehouse.DefaultConfig(), nil) // creates and migrates the database
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()

	at := time.Date(2017, 5, 5, 18, 35, 0, 0, time.UTC)
	err = w.InsertMentions(ctx, []leakwatch.Mention{
		{Object: "candidate:macron", Account: "a1", Post: "twitter:1", Platform: "twitter", At: at},
		{Object: "candidate:macron", Account: "a2", Post: "twitter:2", Platform: "twitter", At: at.Add(time.Minute)},
	})
	if err != nil {
		log.Fatal(err) // a *warehouse.RecordError names the bad record
	}
	pts, err := w.CandidateVolume(ctx, at.Add(-time.Hour), at.Add(time.Hour), 10*time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range pts {
		fmt.Println(p.Object, p.At.Format(time.RFC3339), p.Posts, p.Accounts)
	}
}

// Drop every month of every event table that ended before the cut-off.
func ExampleWarehouse_DropBefore() {
	ctx := context.Background()
	w, err := warehouse.Open(ctx, warehouse.DefaultConfig(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	dropped, err := w.DropBefore(ctx, warehouse.AllTables, time.Now().AddDate(0, -6, 0))
	if err != nil {
		log.Fatal(err)
	}
	for _, d := range dropped {
		fmt.Println(d.Table, d.Partition, d.Rows)
	}
}
