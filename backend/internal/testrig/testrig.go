// Package testrig holds helpers shared by tests of several packages. It is
// imported by tests only.
package testrig

import (
	"net"
	"os"
	"strconv"
	"testing"

	"github.com/godbus/dbus/v5"

	"relink/backend/i18n"
	"relink/backend/integration"
)

// Translator renders from the real English catalogue and fails the test
// on a key the catalogue lacks, so tests check the messages users see.
func Translator(t testing.TB) StrictTranslator {
	t.Helper()
	c, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	return StrictTranslator{t: t, c: c}
}

// StrictTranslator is an English i18n.Translator that reports missing keys.
type StrictTranslator struct {
	t testing.TB
	c *i18n.Catalog
}

// T renders key, failing the test when it is not in the catalogue.
func (s StrictTranslator) T(key string, params map[string]string) string {
	if !s.c.Has(key) {
		s.t.Errorf("missing message key %q", key)
	}
	return s.c.T("en", key, params)
}

// Plural renders key.one or key.other with {count}.
func (s StrictTranslator) Plural(key string, n int, params map[string]string) string {
	form := ".other"
	if n == 1 {
		form = ".one"
	}
	p := map[string]string{"count": strconv.Itoa(n)}
	for k, v := range params {
		p[k] = v
	}
	return s.T(key+form, p)
}

// Problem renders a Problem's sentence, failing the test on an unknown code.
func (s StrictTranslator) Problem(p *integration.Problem) string {
	if p == nil {
		return ""
	}
	return s.T(p.Code, p.Params)
}

// PrivateBus connects to a throwaway session bus, skipping unless the test
// runs in one (.ci/with-keyring sets RELINK_TEST_KEYRING; by hand:
// RELINK_TEST_DBUS=1 dbus-run-session -- go test ...), so a developer's
// desktop never gets stray tray icons or notifications. The connection is
// the test's own: the tray closes the shared one when it ends.
func PrivateBus(t testing.TB) *dbus.Conn {
	t.Helper()
	if os.Getenv("RELINK_TEST_KEYRING") != "1" && os.Getenv("RELINK_TEST_DBUS") != "1" {
		t.Skip("needs a private session bus: run under .ci/with-keyring or RELINK_TEST_DBUS=1 dbus-run-session")
	}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("no session bus")
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatalf("connect session bus: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// FreePort returns a loopback port nothing listened on a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
