package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wailsapp/wails/v2/pkg/options"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"relink/backend/alerts"
	"relink/backend/desktop"
	"relink/backend/i18n"
	"relink/backend/integration"
	"relink/backend/monitor"
	"relink/backend/services"
	"relink/backend/store"
	"relink/backend/support"
	"relink/backend/window"
)

// App is the Wails lifecycle and the methods bound to the frontend. Each
// bound method delegates to the services layer and turns errors into a
// Problem the frontend renders in the user's language.
type App struct {
	ctx      context.Context
	svc      *services.Service
	page     *window.Page
	reauths  *window.Reauths
	mon      *monitor.Monitor
	hidden   bool
	quitting atomic.Bool

	mu          sync.Mutex
	closeToTray bool

	windows  desktop.WindowStore
	restored *desktop.WindowState

	alerts  *alerts.Manager
	support *support.Desk
	// startNav is where a relink://open/<id> launch asks the window to
	// go; the page takes it once it is listening.
	startNav *window.Navigate
}

// newApp binds the window to svc; page is the emitter svc was built with.
func newApp(svc *services.Service, page *window.Page, mon *monitor.Monitor, windows desktop.WindowStore, restored *desktop.WindowState, startHidden bool) *App {
	a := &App{svc: svc, page: page, mon: mon, windows: windows, restored: restored, hidden: startHidden, closeToTray: true}
	a.reauths = window.NewReauths(svc, page, a.show)
	return a
}

type wailsEmitter struct{ ctx context.Context }

func (e wailsEmitter) Emit(name string, payload any) { wruntime.EventsEmit(e.ctx, name, payload) }

// eventBatchInterval is how often at most the page gets a batch of changed
// integrations: fast enough to look live, slow enough that a sweep of a
// thousand is a handful of updates.
const eventBatchInterval = 100 * time.Millisecond

func batchedEmitter(ctx context.Context) window.Emitter {
	return desktop.NewBatcher(wailsEmitter{ctx}, services.EventIntegrationChanged, services.EventIntegrationsChanged,
		func(p any) string { v, _ := p.(services.IntegrationView); return v.ID }, eventBatchInterval)
}

// recordMarks appends the page's paint timings (lib/marks.ts) to a file,
// one "name value" line each, for bench/scale.
func recordMarks(ctx context.Context, path string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		fmt.Fprintf(os.Stderr, "relink: bench marks: %v\n", err)
		return
	}
	var mu sync.Mutex
	wruntime.EventsOn(ctx, services.EventBenchMark, func(data ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(f, data...)
	})
}

func (a *App) startup(ctx context.Context) {
	a.ctx = ctx
	if w := a.restored; w != nil {
		wruntime.WindowSetPosition(ctx, w.X, w.Y)
		if w.Maximised {
			wruntime.WindowMaximise(ctx)
		}
	}
	a.page.Attach(batchedEmitter(ctx))
	if path := os.Getenv("RELINK_BENCH_MARKS"); path != "" {
		recordMarks(ctx, path)
	}
	if st, err := a.svc.Settings(ctx); err == nil {
		a.setCloseToTray(st.CloseToTray)
	}
	a.svc.OnSettingsChanged(func(st services.Settings) { a.setCloseToTray(st.CloseToTray) })
	// The tray, notifications and scheduler start beside the window, not
	// before it: the window maps while they register on D-Bus.
	go a.mon.Start(ctx, monitor.Hooks{Show: a.show, Open: a.open, Quit: a.quit})
}

func (a *App) shutdown(ctx context.Context) { a.mon.Stop() }

func (a *App) setCloseToTray(v bool) {
	a.mu.Lock()
	a.closeToTray = v
	a.mu.Unlock()
}

// beforeClose hides the window to the tray instead of quitting, unless the
// user chose Quit or turned the setting off.
func (a *App) beforeClose(ctx context.Context) bool {
	a.saveWindow()
	a.mu.Lock()
	toTray := a.closeToTray && a.mon.TrayActive()
	a.mu.Unlock()
	if toTray && !a.quitting.Load() {
		wruntime.WindowHide(ctx)
		return true
	}
	return false
}

// show brings the window to the front (tray, notification click, second
// launch, finished authorization).
func (a *App) show() {
	if a.ctx == nil {
		return
	}
	wruntime.WindowShow(a.ctx)
	wruntime.WindowUnminimise(a.ctx)
}

// open shows the window at one integration, with its repair dialog when
// reauth is true (tray menu, notification click, relink:// link).
func (a *App) open(integrationID string, reauth bool) {
	a.show()
	a.page.Navigate(window.Navigate{View: "integrations", IntegrationID: integrationID, Reauth: reauth})
}

// saveWindow remembers the window's size and position for the next start.
func (a *App) saveWindow() {
	w, h := wruntime.WindowGetSize(a.ctx)
	x, y := wruntime.WindowGetPosition(a.ctx)
	st := desktop.WindowState{X: x, Y: y, Width: w, Height: h, Maximised: wruntime.WindowIsMaximised(a.ctx)}
	if st.Maximised && a.restored != nil {
		// A maximised window reports the screen's size: keep the normal one.
		st.Width, st.Height = a.restored.Width, a.restored.Height
	}
	_ = a.windows.Save(st)
}

func (a *App) quit() {
	a.saveWindow()
	a.quitting.Store(true)
	wruntime.Quit(a.ctx)
}

// onSecondInstance runs when the user launches Relink again: the second
// process exits and its arguments arrive here.
func (a *App) onSecondInstance(data options.SecondInstanceData) {
	fmt.Fprintf(os.Stderr, "relink: another launch with arguments %q; showing this window\n", data.Args)
	a.show()
	for _, arg := range data.Args {
		if arg == "--hidden" {
			return
		}
		if id, ok := desktop.ParseOpenLink(arg); ok {
			a.page.Navigate(window.Navigate{View: "integrations", IntegrationID: id, Reauth: true})
			return
		}
	}
	a.page.Navigate(window.Navigate{View: "integrations"})
}

// StartupNavigation returns, once, the view a relink:// link launched
// Relink for; an empty view means none.
func (a *App) StartupNavigation() (window.Navigate, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := a.startNav
	a.startNav = nil
	if n == nil {
		return window.Navigate{}, nil
	}
	return *n, nil
}

// ListAlerts returns the team alert destinations with their delivery state.
func (a *App) ListAlerts() ([]store.AlertDestination, error) {
	ds, err := a.alerts.List(a.ctx)
	if ds == nil {
		ds = []store.AlertDestination{}
	}
	return result(ds, err)
}

// AddAlert saves a destination; the URL goes to the keychain only.
func (a *App) AddAlert(label, format, url string) (store.AlertDestination, error) {
	return result(a.alerts.Add(a.ctx, label, alerts.Format(format), url))
}

// RemoveAlert deletes a destination, its waiting messages and its URL.
func (a *App) RemoveAlert(id string) (store.AlertDestination, error) {
	return result(a.alerts.Remove(a.ctx, id))
}

// TestAlert sends a sample message now and returns the receiver's answer.
func (a *App) TestAlert(id string) (alerts.Result, error) {
	_, res, err := a.alerts.Test(a.ctx, id)
	return result(res, err)
}

// problemError makes an error cross the Wails bridge as JSON
// {"code","params"}: the frontend renders it in the chosen language.
func problemError(err error) error {
	if err == nil {
		return nil
	}
	p := integration.AsProblem(err)
	if p.Code == integration.CodeInternal {
		// The window shows the generic sentence; the text is for the log.
		slog.Error("unexpected error", "error", err)
	}
	data, mErr := json.Marshal(p)
	if mErr != nil {
		return errors.New(`{"code":"error.internal"}`)
	}
	return errors.New(string(data))
}

func result[T any](v T, err error) (T, error) { return v, problemError(err) }

func (a *App) ListIntegrations() ([]services.IntegrationView, error) {
	return result(a.svc.ListIntegrations(a.ctx))
}

func (a *App) ListProviders() ([]services.ProviderView, error) {
	return a.svc.ListProviders(), nil
}

// RedirectURI returns the redirect URI an OAuth provider would use with
// these form values: the address the Add dialog tells the user to
// register before the browser opens.
func (a *App) RedirectURI(provider string, settings map[string]string) (services.RedirectView, error) {
	return result(a.svc.Redirect(provider, settings))
}

func (a *App) AddIntegration(req services.AddRequest) (services.IntegrationView, error) {
	return result(a.svc.Add(a.ctx, req))
}

func (a *App) UpdateIntegration(id, name string, settings map[string]string) (services.IntegrationView, error) {
	return result(a.svc.Update(a.ctx, id, name, settings))
}

func (a *App) RemoveIntegration(id string) (services.RemoveResult, error) {
	return result(a.svc.Remove(a.ctx, id))
}

func (a *App) StartReauth(id string) (window.ReauthStart, error) {
	return result(a.reauths.Start(a.ctx, id))
}

func (a *App) CancelReauth(attemptID string) (bool, error) {
	return result(true, a.reauths.Cancel(attemptID))
}

func (a *App) ConfirmAccount(attemptID string, accept bool) (bool, error) {
	return result(true, a.reauths.ConfirmAccount(attemptID, accept))
}

func (a *App) SubmitSecret(id, secret string) (services.IntegrationView, error) {
	return result(a.svc.SubmitSecret(a.ctx, id, secret))
}

// AcceptHostKey trusts a bastion's new host key (exactly the fingerprint
// shown) and checks the integration again.
func (a *App) AcceptHostKey(id, fingerprint string) (services.IntegrationView, error) {
	return result(a.svc.AcceptHostKey(a.ctx, id, fingerprint))
}

func (a *App) CheckNow(ids []string) ([]services.IntegrationView, error) {
	return result(a.svc.Check(a.ctx, ids...))
}

func (a *App) SetPaused(id string, paused bool) (services.IntegrationView, error) {
	return result(a.svc.SetPaused(a.ctx, id, paused))
}

func (a *App) History(f services.HistoryFilter) (services.HistoryPage, error) {
	return result(a.svc.History(a.ctx, f))
}

// ExportHistoryCSV writes the filtered history next to the user's files
// and returns the path.
func (a *App) ExportHistoryCSV(f services.HistoryFilter) (string, error) {
	path, err := wruntime.SaveFileDialog(a.ctx, wruntime.SaveDialogOptions{
		DefaultFilename: "relink-history.csv",
		Filters:         []wruntime.FileFilter{{DisplayName: "CSV", Pattern: "*.csv"}},
	})
	if err != nil || path == "" {
		path = filepath.Join(defaultExportDir(), "relink-history.csv")
	}
	return result(path, a.svc.ExportCSVFile(a.ctx, path, f))
}

func defaultExportDir() string {
	if home, err := os.UserHomeDir(); err == nil {
		return home
	}
	return os.TempDir()
}

func (a *App) GetSettings() (services.Settings, error) { return result(a.svc.Settings(a.ctx)) }

func (a *App) SaveSettings(s services.Settings) (services.Settings, error) {
	return result(a.svc.SaveSettings(a.ctx, s))
}

func (a *App) SystemLocale() (string, error) { return a.svc.SystemLocale(), nil }

// TimeZone is the local time zone's offsets around now: the page renders
// times with them (lib/zone.ts).
func (a *App) TimeZone() (i18n.Zone, error) {
	now := time.Now()
	return i18n.LocalZone(time.Local, now.Add(-i18n.ZoneSpan), now.Add(i18n.ZoneSpan)), nil
}

func (a *App) ReportProblem(id string) (string, error) {
	return result(a.support.ReportProblem(a.ctx, id))
}

func (a *App) SupportSummary(id string) (string, error) {
	return result(a.support.Summary(a.ctx, id))
}

func (a *App) OpenSupport(id string) (bool, error) {
	return result(true, a.support.OpenSupport(a.ctx, id))
}

func (a *App) Storage() (services.StorageView, error) { return a.svc.Storage(), nil }

func (a *App) RetryStorage() (services.StorageView, error) { return a.svc.RetryStorage(a.ctx), nil }

func (a *App) OpenDataFolder() (bool, error) { return result(true, a.svc.OpenDataFolder()) }
