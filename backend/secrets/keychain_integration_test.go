package secrets

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These tests talk to the real Secret Service; they run under
// .ci/with-keyring (which sets RELINK_TEST_KEYRING=1).
func realKeychain(t *testing.T) *Keychain {
	if os.Getenv("RELINK_TEST_KEYRING") == "" {
		t.Skip("needs a real Secret Service: run under .ci/with-keyring")
	}
	if os.Getenv("RELINK_TEST_KEYRING_MODE") != "unlocked" {
		t.Skip("needs an unlocked keyring")
	}
	return New("relink-test", 5*time.Second)
}

func TestRealSecretService(t *testing.T) {
	k := realKeychain(t)
	ctx := context.Background()
	id := "it-" + time.Now().Format("150405.000000")
	if err := k.Set(ctx, id, "api_key", "first"); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if err := k.Set(ctx, id, "api_key", "second"); err != nil {
		t.Fatalf("overwrite: %v", err)
	}
	if got, err := k.Get(ctx, id, "api_key"); err != nil || got != "second" {
		t.Errorf("got %q, %v; want second", got, err)
	}
	out, err := exec.Command("secret-tool", "lookup", "service", "relink-test", "username", id+"/api_key").Output()
	if err != nil || string(out) != "second" {
		t.Errorf("secret-tool lookup: got %q, %v; want second", out, err)
	}
	big := strings.Repeat("0123456789", 1024)
	if err := k.Set(ctx, id, "refresh_token", big); err != nil {
		t.Fatalf("10 KB Set: %v", err)
	}
	if got, err := k.Get(ctx, id, "refresh_token"); err != nil || got != big {
		t.Errorf("10 KB round trip: got %d bytes, %v", len(got), err)
	}
	if err := k.Delete(ctx, id, "api_key"); err != nil {
		t.Errorf("Delete: %v", err)
	}
	if _, err := k.Get(ctx, id, "api_key"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete got %v; want ErrNotFound", err)
	}
	if err := k.DeleteAll(ctx, id); err != nil {
		t.Errorf("DeleteAll: %v", err)
	}
	if _, err := k.Get(ctx, id, "refresh_token"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after DeleteAll got %v; want ErrNotFound", err)
	}
}

// TestHelperFailureState runs in a child process whose environment is
// broken in one way; it prints the sentinel it got.
func TestHelperFailureState(t *testing.T) {
	if os.Getenv("RELINK_SECRETS_CHILD") == "" {
		t.Skip("helper process")
	}
	k := New("relink-test", 3*time.Second)
	start := time.Now()
	err := k.Set(context.Background(), "child", "api_key", "v")
	for _, s := range []error{ErrUnavailable, ErrLocked, ErrTimeout, ErrNotFound} {
		if errors.Is(err, s) {
			os.Stdout.WriteString("RESULT " + s.Error() + " " + time.Since(start).Round(time.Millisecond).String() + "\n")
			return
		}
	}
	os.Stdout.WriteString("RESULT other: " + errString(err) + "\n")
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

func TestFailureStatesAgainstRealDBus(t *testing.T) {
	if os.Getenv("RELINK_TEST_KEYRING") == "" || os.Getenv("RELINK_TEST_KEYRING_MODE") != "unlocked" {
		t.Skip("needs .ci/with-keyring")
	}
	script, _ := filepath.Abs("../../.ci/with-keyring")
	for _, tc := range []struct {
		name string
		cmd  func() *exec.Cmd
		want error
	}{
		{"no session bus", func() *exec.Cmd {
			c := exec.Command(os.Args[0], "-test.run=^TestHelperFailureState$")
			c.Env = append(filterEnv("DBUS_SESSION_BUS_ADDRESS"), "RELINK_SECRETS_CHILD=1")
			return c
		}, ErrUnavailable},
		{"dead bus socket", func() *exec.Cmd {
			c := exec.Command(os.Args[0], "-test.run=^TestHelperFailureState$")
			c.Env = append(filterEnv("DBUS_SESSION_BUS_ADDRESS"), "RELINK_SECRETS_CHILD=1", "DBUS_SESSION_BUS_ADDRESS=unix:path="+t.TempDir()+"/gone")
			return c
		}, ErrUnavailable},
		{"no secret service", func() *exec.Cmd {
			c := exec.Command(script, os.Args[0], "-test.run=^TestHelperFailureState$")
			c.Env = append(os.Environ(), "RELINK_SECRETS_CHILD=1", "KEYRING=none")
			return c
		}, ErrUnavailable},
		{"locked keyring", func() *exec.Cmd {
			c := exec.Command(script, os.Args[0], "-test.run=^TestHelperFailureState$")
			c.Env = append(os.Environ(), "RELINK_SECRETS_CHILD=1", "KEYRING=locked")
			return c
		}, ErrLocked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _ := tc.cmd().CombinedOutput()
			line := ""
			for _, l := range strings.Split(string(out), "\n") {
				// Daemon noise on stderr may share the line.
				if i := strings.Index(l, "RESULT "); i >= 0 {
					line = l[i:]
				}
			}
			if !strings.HasPrefix(line, "RESULT "+tc.want.Error()+" ") {
				t.Errorf("got %q; want %v\n%s", line, tc.want, out)
			}
		})
	}
}

func filterEnv(drop string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, drop+"=") {
			out = append(out, kv)
		}
	}
	return out
}
