package health

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkSweep checks N integrations against a loopback provider that
// answers in 20 ms with concurrency 16, and reports wall time against the
// ideal N×20ms/16.
func BenchmarkSweep(b *testing.B) {
	n := 1000
	if os.Getenv("RELINK_BENCH_SMALL") != "" {
		n = 32
	}
	var inflight, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inflight.Add(1)
		defer inflight.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		w.Write([]byte(`{"email":"a@example.com"}`))
	}))
	defer srv.Close()
	client := NewProbeClient(5 * time.Second)
	client.Transport = &http.Transport{MaxIdleConnsPerHost: 32}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	s := &Scheduler{Concurrency: 16, Check: func(ctx context.Context, id string) {
		o := ProbeHTTP(ctx, client, HTTPRequest{URL: srv.URL + "/me?i=" + id, AccountPath: "email"})
		if v := Classify(o); v.Status != "connected" {
			b.Errorf("check %s: %v", id, v)
		}
	}}
	ideal := time.Duration(n) * 20 * time.Millisecond / 16
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		s.CheckAll(context.Background(), ids)
		total += time.Since(start)
	}
	wall := total / time.Duration(b.N)
	b.ReportMetric(wall.Seconds(), "wall-s")
	b.ReportMetric(ideal.Seconds(), "ideal-s")
	b.ReportMetric(float64(wall)/float64(ideal), "x-ideal")
	// The concurrency bound, as the provider saw it.
	b.ReportMetric(float64(peak.Load()), "max-inflight")
}
