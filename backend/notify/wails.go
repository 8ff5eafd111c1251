package notify

import (
	"context"
	"strconv"
	"sync/atomic"

	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"
)

// wailsDefaultAction is the ActionIdentifier Wails v2.16 reports for a
// click on the notification body.
const wailsDefaultAction = "DEFAULT_ACTION"

// WailsSender sends through the Wails v2.16 notification runtime, for the
// platforms where DBusSender does not exist (macOS, Windows). On Linux
// prefer DBusSender: Wails reports a notification the user dismissed as a
// click on it, which would open a repair the user just waved away.
type WailsSender struct {
	ctx  context.Context
	next atomic.Uint64
}

// NewWailsSender initialises Wails notifications with the context Wails
// passed to OnStartup and routes clicks to onClick with the Target.
// Wails' IsNotificationAvailable answers true even with no notification
// service, so this does not consult it; Send reports the real failure.
func NewWailsSender(ctx context.Context, onClick func(target string)) (*WailsSender, error) {
	if err := wruntime.InitializeNotifications(ctx); err != nil {
		return nil, unavailable(err)
	}
	wruntime.OnNotificationResponse(ctx, func(r wruntime.NotificationResult) {
		if r.Error != nil || r.Response.ActionIdentifier != wailsDefaultAction || onClick == nil {
			return
		}
		target, _ := r.Response.UserInfo["target"].(string)
		onClick(target)
	})
	return &WailsSender{ctx: ctx}, nil
}

// Send shows n; it fails with ErrUnavailable when Wails cannot deliver it.
func (s *WailsSender) Send(_ context.Context, n Notification) error {
	err := wruntime.SendNotification(s.ctx, wruntime.NotificationOptions{
		ID:    "relink-" + strconv.FormatUint(s.next.Add(1), 10),
		Title: n.Title,
		Body:  n.Body,
		Data:  map[string]any{"target": n.Target},
	})
	if err != nil {
		return unavailable(err)
	}
	return nil
}

// Close releases Wails' notification resources.
func (s *WailsSender) Close() { wruntime.CleanupNotifications(s.ctx) }

var _ Sender = (*WailsSender)(nil)
