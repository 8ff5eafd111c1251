package monitor

import "context"

// startTray starts the tray icon; nil when none can run.
func startTray(ctx context.Context, m *Monitor, hooks Hooks) trayHandle { return nil }
