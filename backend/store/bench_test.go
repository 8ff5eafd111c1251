package store

import (
	"context"
	"os"
	"sort"
	"testing"
	"time"

	"relink/backend/integration"
)

// benchEvents is the history size for BenchmarkQueryPage: 1,000,000 for
// `make bench`, small under RELINK_BENCH_SMALL so `make test` only proves
// the benchmark runs.
func benchEvents() int {
	if os.Getenv("RELINK_BENCH_SMALL") != "" {
		return 5000
	}
	return 1000000
}

func BenchmarkAppendEvents(b *testing.B) {
	s := openTemp(b)
	batch := make([]integration.Event, 500)
	for i := range batch {
		batch[i] = integration.Event{IntegrationID: "", Integration: "bench", Kind: integration.EventCheck, NewStatus: integration.StatusConnected}
	}
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := s.AppendEvents(ctx, batch...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/time.Since(start).Seconds(), "events/s")
}

func BenchmarkQueryPage(b *testing.B) {
	s := openTemp(b)
	fill(b, s, benchEvents())
	s.db.Exec(`ANALYZE`)
	ctx := context.Background()
	filters := []EventFilter{
		{IntegrationID: "int-7", Limit: 50},
		{Statuses: []integration.Status{integration.StatusNeedsReauth}, Limit: 50},
		{Causes: []integration.Cause{integration.CauseProviderIssue}, Limit: 50},
		{IntegrationID: "int-3", Since: time.Now().Add(-24 * time.Hour), Limit: 50},
		{Limit: 50},
	}
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, f := range filters {
			t0 := time.Now()
			evs, err := s.QueryEvents(ctx, f)
			if err != nil || len(evs) == 0 {
				b.Fatalf("query: %d events, %v", len(evs), err)
			}
			lat = append(lat, time.Since(t0))
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(benchEvents()), "events")
}
