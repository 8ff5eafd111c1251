package notify

import (
	"context"
	"fmt"
	"sync"

	"github.com/godbus/dbus/v5"
)

const (
	fdoName  = "org.freedesktop.Notifications"
	fdoPath  = "/org/freedesktop/Notifications"
	fdoIface = "org.freedesktop.Notifications"
	// defaultAction is the action key the spec reserves for a click on
	// the notification body.
	defaultAction = "default"
)

// DBusSender shows notifications through org.freedesktop.Notifications
// (GNOME, KDE, dunst, mako, …) and reports a click on one to onClick with
// its Target. It connects lazily and reconnects after a failure, so a
// notification daemon that starts after Relink is still used. It builds
// everywhere so callers need no build tags; where there is no session bus
// (macOS, Windows) Send fails with ErrUnavailable.
type DBusSender struct {
	appName   string
	icon      string
	desktopID string
	onClick   func(target string)

	mu   sync.Mutex
	conn *dbus.Conn
	sent map[uint32]string // daemon's notification id → Target
}

// NewDBusSender returns a sender that names itself appName, shows the
// themed icon (e.g. "relink", installed under hicolor) and links to the
// desktop entry desktopID (without ".desktop"), so desktops group its
// notifications with the app.
func NewDBusSender(appName, icon, desktopID string, onClick func(target string)) *DBusSender {
	return &DBusSender{appName: appName, icon: icon, desktopID: desktopID, onClick: onClick, sent: map[uint32]string{}}
}

// connect must be called with s.mu held.
func (s *DBusSender) connect() (*dbus.Conn, error) {
	if s.conn != nil && s.conn.Connected() {
		return s.conn, nil
	}
	// A private connection: the tray closes the process's shared one when
	// it ends.
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return nil, err
	}
	for _, member := range []string{"ActionInvoked", "NotificationClosed"} {
		if err := conn.AddMatchSignal(dbus.WithMatchInterface(fdoIface), dbus.WithMatchMember(member)); err != nil {
			conn.Close()
			return nil, fmt.Errorf("watch %s: %w", member, err)
		}
	}
	signals := make(chan *dbus.Signal, 16)
	conn.Signal(signals)
	go s.listen(signals)
	s.conn = conn
	return conn, nil
}

// listen ends when the connection closes, which closes signals.
func (s *DBusSender) listen(signals <-chan *dbus.Signal) {
	for sig := range signals {
		if len(sig.Body) < 2 {
			continue
		}
		id, ok := sig.Body[0].(uint32)
		if !ok {
			continue
		}
		s.mu.Lock()
		target, mine := s.sent[id]
		delete(s.sent, id)
		s.mu.Unlock()
		if !mine {
			continue
		}
		if key, _ := sig.Body[1].(string); sig.Name == fdoIface+".ActionInvoked" && key == defaultAction && s.onClick != nil {
			s.onClick(target)
		}
	}
}

// Send shows n. It fails with ErrUnavailable when there is no session bus
// or no notification daemon on it.
func (s *DBusSender) Send(ctx context.Context, n Notification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	conn, err := s.connect()
	if err != nil {
		return unavailable(err)
	}
	label := n.Action
	if label == "" {
		label = n.Title
	}
	hints := map[string]dbus.Variant{
		"urgency":       dbus.MakeVariant(byte(1)), // normal
		"desktop-entry": dbus.MakeVariant(s.desktopID),
	}
	var id uint32
	err = conn.Object(fdoName, fdoPath).CallWithContext(ctx, fdoIface+".Notify", 0,
		s.appName, uint32(0), s.icon, n.Title, n.Body,
		[]string{defaultAction, label}, hints, int32(-1),
	).Store(&id)
	if err != nil {
		if !conn.Connected() {
			s.conn = nil
		}
		return unavailable(err)
	}
	s.sent[id] = n.Target
	return nil
}

// Close ends the connection; later Sends reconnect.
func (s *DBusSender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}

var _ Sender = (*DBusSender)(nil)
