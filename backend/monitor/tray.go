package monitor

import (
	"context"
	"os"
	"sync"
	"time"

	"relink/backend/desktop"
	"relink/backend/i18n"
	"relink/backend/integration"
	"relink/backend/notify"
	"relink/backend/services"
	"relink/backend/tray"
)

// shell is the tray icon, the notifier and the login item, kept in step
// with the integrations and the settings.
type shell struct {
	m        *Monitor
	hooks    Hooks
	tr       i18n.Translator
	tray     *tray.Tray
	end      func()
	notifier *notify.Notifier
	sender   *notify.DBusSender
	ctx      context.Context

	mu       sync.Mutex
	checking bool
	present  bool
}

func (s *shell) Active() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.present
}

func (s *shell) Stop() {
	s.notifier.Close()
	s.sender.Close()
	// Last: fyne's systray closes the process's shared session bus
	// connection, which go-keyring also uses.
	s.end()
}

// startTray starts the tray icon and notifications.
func startTray(ctx context.Context, m *Monitor, hooks Hooks) trayHandle {
	svc := m.cfg.Service
	s := &shell{m: m, hooks: hooks, ctx: ctx,
		tr: i18n.Translator{Catalog: m.cfg.I18n, Lang: func() string { return svc.Language(context.Background()) }}}
	s.tray = tray.New(s.act)
	start, end := s.tray.Run()
	s.end = end
	start()
	s.sender = notify.NewDBusSender("Relink", "relink", "relink", func(target string) {
		if target == "" {
			hooks.Show()
			return
		}
		hooks.Open(target, true)
	})
	st, _ := svc.Settings(ctx)
	s.notifier = notify.New(notify.Config{Sender: s.sender, Translator: s.tr, Enabled: st.Notifications, Window: m.cfg.NotifyWindow})
	svc.OnStatusChanged(func(old, now integration.Integration) {
		t := time.Now()
		s.notifier.Observe(now, integration.EffectiveStatus(old, t), integration.EffectiveStatus(now, t), t)
		s.update()
	})
	// A removed integration's waiting notification is no longer news.
	svc.OnRemoved(func(id string) {
		s.notifier.Forget(id)
		s.update()
	})
	svc.OnSettingsChanged(func(st services.Settings) {
		s.notifier.SetEnabled(st.Notifications)
		s.autostart(st.OpenAtLogin)
		s.update()
	})
	s.autostart(st.OpenAtLogin)
	s.update()
	go func() {
		// The tray host may appear after Relink (login order); look again
		// for a while so close-to-tray turns on when it does.
		for i := 0; i < 10; i++ {
			present := s.tray.HostPresent(ctx)
			s.mu.Lock()
			s.present = present
			s.mu.Unlock()
			if present {
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(3 * time.Second):
			}
		}
	}()
	return s
}

func (s *shell) autostart(on bool) {
	exe, err := os.Executable()
	if err != nil {
		return
	}
	a, err := desktop.NewAutostart(exe)
	if err != nil {
		return
	}
	if on {
		a.Enable()
	} else if enabled, _ := a.Enabled(); enabled {
		a.Disable()
	}
}

// update recomputes the tray model from the current state.
func (s *shell) update() {
	svc := s.m.cfg.Service
	views, err := svc.ListIntegrations(context.Background())
	if err != nil {
		return
	}
	sum := tray.Summary{Paused: s.m.sched.Paused(), Offline: svc.Offline(), CannotSave: svc.Storage().Problem != nil,
		Lang: svc.Language(context.Background())}
	s.mu.Lock()
	sum.Checking = s.checking
	s.mu.Unlock()
	for _, v := range views {
		sum.Items = append(sum.Items, tray.Item{ID: v.ID, Name: v.Name, Status: v.Status,
			Reauthorize: integration.Reauthorizable(v.Status, v.Cause, v.Problem)})
		if v.Rechecking {
			sum.Rechecking++
		}
	}
	s.tray.Apply(tray.Build(sum, s.tr))
}

// storageChanged refreshes the tray and, when saving has become
// impossible, says so in a notification: the window may be hidden.
func (s *shell) storageChanged(problem *integration.Problem) {
	s.update()
	if problem == nil {
		return
	}
	if st, err := s.m.cfg.Service.Settings(s.ctx); err != nil || !st.Notifications {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	s.sender.Send(ctx, notify.Notification{Title: s.tr.T("storage.notify_title", nil),
		Body: s.tr.Problem(problem), Action: s.tr.T("tray.menu.open", nil)})
}

// act runs a tray menu action.
func (s *shell) act(a tray.Action, id string) {
	svc := s.m.cfg.Service
	switch a {
	case tray.ActionOpen:
		s.hooks.Show()
	case tray.ActionReauthorize:
		s.hooks.Open(id, true)
	case tray.ActionDetails:
		s.hooks.Open(id, false)
	case tray.ActionCheckAll:
		s.mu.Lock()
		s.checking = true
		s.mu.Unlock()
		s.update()
		go func() {
			svc.Check(s.ctx)
			s.mu.Lock()
			s.checking = false
			s.mu.Unlock()
			s.update()
		}()
	case tray.ActionPause, tray.ActionResume:
		st, err := svc.Settings(s.ctx)
		if err == nil {
			st.MonitoringPaused = a == tray.ActionPause
			svc.SaveSettings(s.ctx, st)
		}
	case tray.ActionQuit:
		s.hooks.Quit()
	}
}
