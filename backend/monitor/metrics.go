package monitor

import (
	"context"
	"log/slog"
	"sync"

	"relink/backend/metrics"
	"relink/backend/services"
)

// metricsServer keeps the Prometheus endpoint on the address the
// --metrics flag (which wins) or the setting names.
type metricsServer struct {
	svc  *services.Service
	flag string

	mu     sync.Mutex
	addr   string
	cancel context.CancelFunc
	done   <-chan error
}

func (m *Monitor) startMetrics(ctx context.Context) {
	ms := &metricsServer{svc: m.cfg.Service, flag: m.cfg.MetricsAddr}
	addr := ms.flag
	if addr == "" {
		if st, err := ms.svc.Settings(ctx); err == nil {
			addr = st.MetricsAddress
		}
	}
	ms.apply(ctx, addr)
	if ms.flag == "" {
		ms.svc.OnSettingsChanged(func(st services.Settings) { ms.apply(ctx, st.MetricsAddress) })
	}
	m.run(func() { <-ctx.Done(); ms.apply(ctx, "") })
}

func (ms *metricsServer) apply(ctx context.Context, addr string) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if addr == ms.addr && (addr == "" || ms.cancel != nil) {
		return
	}
	if ms.cancel != nil {
		ms.cancel()
		<-ms.done
		ms.cancel, ms.done = nil, nil
	}
	ms.addr = addr
	if addr == "" || ctx.Err() != nil {
		return
	}
	sctx, cancel := context.WithCancel(ctx)
	bound, done, err := metrics.Serve(sctx, addr, ms.svc)
	if err != nil {
		cancel()
		slog.Warn("metrics not served", "addr", addr, "error", err)
		return
	}
	ms.cancel, ms.done = cancel, done
	slog.Info("serving Prometheus metrics", "addr", bound.String())
}
