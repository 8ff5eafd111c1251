// Package monitor runs what a tray app does while nobody looks: scheduled
// health checks, live reloads when another process (the CLI) writes,
// history retention, and the tray and notifications.
package monitor

import (
	"context"
	"fmt"
	"sync"
	"time"

	"relink/backend/alerts"
	"relink/backend/health"
	"relink/backend/i18n"
	"relink/backend/integration"
	"relink/backend/notify"
	"relink/backend/services"
)

// Config holds the monitor's dependencies.
type Config struct {
	Service *services.Service
	I18n    *i18n.Catalog
	// WatchEvery is how often PRAGMA data_version is read to notice
	// writes by other processes (default 2 s: one cheap query).
	WatchEvery time.Duration
	// NotifyWindow is how long notifications are coalesced (default 1 min).
	NotifyWindow time.Duration
	// Alerts delivers team alerts; nil sends none.
	Alerts *alerts.Dispatcher
	// MetricsAddr serves Prometheus metrics there for this run (the
	// --metrics flag), overriding the setting.
	MetricsAddr string
}

// Hooks are the window actions the tray and notifications trigger.
type Hooks struct {
	Show func()
	// Open shows the window at one integration, with its repair dialog
	// when reauth is true.
	Open func(integrationID string, reauth bool)
	Quit func()
}

// Monitor owns the background loops.
type Monitor struct {
	cfg    Config
	sched  *health.Scheduler
	cancel context.CancelFunc
	wg     sync.WaitGroup
	tray   trayHandle
	// started is closed when Start returns, so Stop (and TrayActive) never
	// race with a Start running beside the window.
	started chan struct{}
	// writers starts the loops that write (checks, retention) once the
	// store can save.
	writers sync.Once
	// storage is the last storage problem the window was told about.
	storage string
}

// recoverEvery is how many watch ticks pass between attempts to make a
// store that cannot save writable again.
const recoverEvery = 15

// trayHandle is the running tray, when one could start.
type trayHandle interface {
	Active() bool
	Stop()
}

// New builds a monitor; Start runs it.
func New(cfg Config) *Monitor {
	if cfg.WatchEvery <= 0 {
		cfg.WatchEvery = 2 * time.Second
	}
	m := &Monitor{cfg: cfg, started: make(chan struct{})}
	m.sched = &health.Scheduler{
		Concurrency: 8,
		List: func(ctx context.Context) ([]health.Item, error) {
			return cfg.Service.Items(ctx, m.interval(ctx))
		},
		Check: func(ctx context.Context, id string) { cfg.Service.CheckOne(ctx, id) },
	}
	return m
}

func (m *Monitor) interval(ctx context.Context) time.Duration {
	st, err := m.cfg.Service.Settings(ctx)
	if err != nil || st.CheckIntervalMinutes <= 0 {
		return 15 * time.Minute
	}
	return time.Duration(st.CheckIntervalMinutes) * time.Minute
}

// Start runs the loops until Stop.
func (m *Monitor) Start(ctx context.Context, hooks Hooks) {
	defer close(m.started)
	ctx, m.cancel = context.WithCancel(ctx)
	svc := m.cfg.Service
	if st, err := svc.Settings(ctx); err == nil {
		m.sched.SetPaused(st.MonitoringPaused)
	}
	svc.OnSettingsChanged(func(st services.Settings) {
		m.sched.SetPaused(st.MonitoringPaused)
		m.sched.Wake()
	})
	m.tray = startTray(ctx, m, hooks)
	if m.cfg.Alerts != nil {
		// Team alerts share the desktop's coalescing (one message for a
		// burst) but not its on/off setting: the team still needs to know.
		team := notify.New(notify.Config{Sink: m.cfg.Alerts, Enabled: true, Window: m.cfg.NotifyWindow})
		svc.OnStatusChanged(func(old, now integration.Integration) {
			t := time.Now()
			team.Observe(now, integration.EffectiveStatus(old, t), integration.EffectiveStatus(now, t), t)
		})
		m.run(func() { <-ctx.Done(); team.Close() })
	}
	m.startMetrics(ctx)
	storage := svc.Storage()
	m.storage = problemText(storage.Problem)
	if sh := m.shell(); sh != nil && storage.Problem != nil {
		go sh.storageChanged(storage.Problem)
	}
	if !storage.ReadOnly {
		m.startWriters(ctx)
	}
	m.run(func() { m.watch(ctx) })
}

// startWriters runs the loops that write. A store opened read-only (full
// disk, read-only folder, newer schema) starts them only once it recovers:
// checks whose outcome cannot be saved would only hide the real problem.
func (m *Monitor) startWriters(ctx context.Context) {
	m.writers.Do(func() {
		m.run(func() { m.sched.Run(ctx) })
		m.run(func() { m.retention(ctx) })
		if m.cfg.Alerts != nil {
			m.run(func() { m.cfg.Alerts.Run(ctx) })
		}
	})
}

// shell is the running tray, or nil.
func (m *Monitor) shell() *shell {
	sh, _ := m.tray.(*shell)
	return sh
}

// problemText identifies a storage problem by what the user is told (code
// and params), not the error text: a retry's error can name a fresh temp
// file each time, which must not count as a new problem to notify about.
func problemText(p *integration.Problem) string {
	if p == nil {
		return ""
	}
	return p.Code + fmt.Sprint(p.Params)
}

func (m *Monitor) run(f func()) {
	m.wg.Add(1)
	go func() { defer m.wg.Done(); f() }()
}

// Stop ends every loop and waits for them.
func (m *Monitor) Stop() {
	<-m.started
	if m.cancel != nil {
		m.cancel()
	}
	if m.tray != nil {
		m.tray.Stop()
	}
	m.wg.Wait()
}

// TrayActive reports whether a tray icon exists (closing the window then
// hides it instead of quitting).
func (m *Monitor) TrayActive() bool {
	select {
	case <-m.started:
		return m.tray != nil && m.tray.Active()
	default:
		return false
	}
}

// watch notices writes by other processes and tells the window to reload,
// and follows the storage state (trying to recover from a full disk or a
// read-only folder, telling the window when that changes).
func (m *Monitor) watch(ctx context.Context) {
	var r reloads
	r.last, _ = m.cfg.Service.DataVersion(ctx)
	t := time.NewTicker(m.cfg.WatchEvery)
	defer t.Stop()
	for tick := 1; ; tick++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.followStorage(ctx, tick)
			v, err := m.cfg.Service.DataVersion(ctx)
			if err != nil || !r.seen(v) {
				continue
			}
			m.cfg.Service.Reload()
			m.sched.Wake()
			if sh := m.shell(); sh != nil {
				sh.update()
			}
		}
	}
}

func (m *Monitor) followStorage(ctx context.Context, tick int) {
	svc := m.cfg.Service
	if tick%recoverEvery == 0 {
		// What remains is read below, with whatever else changed.
		_ = svc.RecoverStorage(ctx)
	}
	st := svc.Storage()
	if text := problemText(st.Problem); text != m.storage {
		m.storage = text
		svc.StorageChanged()
		if st.Problem == nil {
			svc.Reload()
		}
		if sh := m.shell(); sh != nil {
			sh.storageChanged(st.Problem)
		}
	}
	if !st.ReadOnly {
		m.startWriters(ctx)
	}
}

// retention prunes old history once an hour, in small batches.
func (m *Monitor) retention(ctx context.Context) {
	t := time.NewTimer(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			days := 365
			if st, err := m.cfg.Service.Settings(ctx); err == nil && st.RetentionDays > 0 {
				days = st.RetentionDays
			}
			m.cfg.Service.Prune(ctx, time.Duration(days)*24*time.Hour)
			t.Reset(time.Hour)
		}
	}
}
