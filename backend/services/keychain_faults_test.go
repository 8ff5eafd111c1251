package services

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"relink/backend/health"
	"relink/backend/integration"
	"relink/backend/secrets"
)

// Keys long enough to be stored in parts, so a keychain failing midway
// really is mid-write. Every part of each holds the key's marker, so a
// leaked part is found by the marker alone.
var (
	oldLongKey = "sk_live_" + strings.Repeat("OLDKEY0123456789", 320)
	newLongKey = "sk_live_" + strings.Repeat("NEWKEY0123456789", 440)
)

// Errors as each Secret Service failure reaches go-keyring.
var (
	errKeychainLocked = errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'")
	//lint:ignore ST1005 the exact text D-Bus answers with
	errKeychainMissing = errors.New("The name org.freedesktop.secrets was not provided by any .service files")
	errBusDropped      = errors.New("dbus: connection closed by user")
)

// keychainFault breaks the in-memory keychain the way a real one breaks.
type keychainFault struct {
	op  string // "get" or "set"
	nth int    // only the nth call of op fails; 0: every one
	err error  // nil: the call hangs until healed, like an unanswered prompt

	mu      sync.Mutex
	calls   int
	release chan struct{}
}

// breakKeychain installs f on mem; the returned heal removes it and
// answers any call still hanging.
func breakKeychain(mem *secrets.Memory, f *keychainFault) (heal func()) {
	f.release = make(chan struct{})
	mem.SetFail(func(op, _ string) error {
		if op != f.op {
			return nil
		}
		f.mu.Lock()
		f.calls++
		hit := f.nth == 0 || f.calls == f.nth
		f.mu.Unlock()
		if !hit {
			return nil
		}
		if f.err == nil {
			<-f.release
		}
		return f.err
	})
	return func() {
		mem.SetFail(nil)
		close(f.release)
	}
}

// assertNothingOnDisk fails if any file in the data folder (the SQLite
// file, its -wal and -shm, lock files) holds one of the markers. The
// integration's name must be found, so the scan is known to see what was
// written.
func assertNothingOnDisk(t *testing.T, s *Service, name string, markers ...string) {
	t.Helper()
	seenName := false
	err := filepath.WalkDir(s.dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		seenName = seenName || bytes.Contains(b, []byte(name))
		for _, m := range markers {
			if bytes.Contains(b, []byte(m)) {
				t.Errorf("%s holds a secret (%s)", filepath.Base(path), m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !seenName {
		t.Fatalf("no file in %s holds %q: the scan does not see the database", s.dataDir, name)
	}
}

// A new key the provider accepted but the keychain could not store: the
// user is told which keychain state is in the way, the old key is still
// whole in the keychain, the integration shows that state (not connected,
// not the new key), and the key is nowhere on disk. Once the keychain
// works, entering the key again connects.
func TestSubmitSecretWhenKeychainFailsMidWrite(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		fault       *keychainFault
		wantCode    string // the error SubmitSecret returns
		wantProblem string // the integration's problem
	}{
		// The new key is written as parts 1-4, then the manifest (write 5).
		{"locked after the first part", &keychainFault{op: "set", nth: 2, err: errKeychainLocked}, "error.keychain_locked", "problem.keychain_locked"},
		{"bus drops at the manifest", &keychainFault{op: "set", nth: 5, err: errBusDropped}, "error.keychain_unavailable", "problem.keychain_unavailable"},
		{"service gone at the first part", &keychainFault{op: "set", nth: 1, err: errKeychainMissing}, "error.keychain_unavailable", "problem.keychain_unavailable"},
		{"hangs on a part", &keychainFault{op: "set", nth: 2}, "error.keychain_timeout", "problem.keychain_timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, mem, _ := newService(t)
			kp := newKeyProvider(t, oldLongKey)
			v := addKey(t, s, kp, "Reporting API", oldLongKey)
			kp.set(false, newLongKey) // the user rotated the key at the provider

			heal := breakKeychain(mem, tc.fault)
			_, err := s.SubmitSecret(ctx, v.ID, newLongKey)
			heal()
			if got := integration.AsProblem(err); err == nil || got.Code != tc.wantCode {
				t.Fatalf("SubmitSecret: got %v; want %s", err, tc.wantCode)
			}
			if got, err := s.secrets.Get(ctx, v.ID, secrets.SlotAPIKey); err != nil || got != oldLongKey {
				t.Errorf("keychain: got %d bytes, %v; want the previous key intact", len(got), err)
			}
			in, err := s.store.GetIntegration(ctx, v.ID)
			if err != nil {
				t.Fatal(err)
			}
			if in.Status != integration.StatusError || in.Cause != integration.CauseLocalProblem || in.Problem == nil || in.Problem.Code != tc.wantProblem {
				t.Errorf("stored state: got %s/%s/%v; want error/local_problem/%s", in.Status, in.Cause, in.Problem, tc.wantProblem)
			}
			page, _ := s.History(ctx, HistoryFilter{IntegrationID: v.ID, Kinds: []string{string(integration.EventError)}})
			if len(page.Events) == 0 || page.Events[0].Message != tc.wantCode {
				t.Errorf("history: got %+v; want an error event with %s", page.Events, tc.wantCode)
			}
			assertNothingOnDisk(t, s, "Reporting API", "OLDKEY", "NEWKEY")

			got, err := s.SubmitSecret(ctx, v.ID, newLongKey)
			if err != nil || got.Status != integration.StatusConnected || got.Cause != integration.CauseNone {
				t.Fatalf("after recovery got %s/%s, %v; want connected", got.Status, got.Cause, err)
			}
			if k, err := s.secrets.Get(ctx, v.ID, secrets.SlotAPIKey); err != nil || k != newLongKey {
				t.Errorf("after recovery the keychain holds %d bytes, %v; want the new key", len(k), err)
			}
			assertNothingOnDisk(t, s, "Reporting API", "OLDKEY", "NEWKEY")
		})
	}
}

// A scheduled check that cannot read the key shows which keychain state is
// in the way, each with its own problem, once a second check confirms it
// (as for every local problem). Nothing is written anywhere instead, and
// the first check after the keychain returns is connected again, with no
// action from the user.
func TestCheckWhenKeychainLockedUnavailableOrSlow(t *testing.T) {
	ctx := context.Background()
	// Which case produced each problem code: each state must get its own.
	produced := map[string]string{}
	for _, tc := range []struct {
		name        string
		fault       *keychainFault
		wantProblem string
	}{
		{"locked", &keychainFault{op: "get", err: errKeychainLocked}, "problem.keychain_locked"},
		{"unavailable", &keychainFault{op: "get", err: errKeychainMissing}, "problem.keychain_unavailable"},
		{"slow past the timeout", &keychainFault{op: "get"}, "problem.keychain_timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, mem, _ := newService(t)
			kp := newKeyProvider(t, oldLongKey)
			addKey(t, s, kp, "Reporting API", oldLongKey)
			items := mem.Keys("relink-test")

			heal := breakKeychain(mem, tc.fault)
			hits := kp.hits
			var views []IntegrationView
			for range health.ConfirmAfter {
				var err error
				if views, err = s.Check(ctx); err != nil {
					heal()
					t.Fatal(err)
				}
			}
			heal()
			got := views[0]
			if got.Problem != nil {
				if other, ok := produced[got.Problem.Code]; ok {
					t.Errorf("%s and %s both show %s; want a distinct problem each", tc.name, other, got.Problem.Code)
				}
				produced[got.Problem.Code] = tc.name
			}
			if got.Status != integration.StatusError || got.Cause != integration.CauseLocalProblem || got.Problem == nil || got.Problem.Code != tc.wantProblem {
				t.Errorf("after %d checks got %s/%s/%v; want error/local_problem/%s", health.ConfirmAfter, got.Status, got.Cause, got.Problem, tc.wantProblem)
			}
			if kp.hits != hits {
				t.Errorf("the provider was called %d times without a key; want 0", kp.hits-hits)
			}
			if got := mem.Keys("relink-test"); strings.Join(got, ",") != strings.Join(items, ",") {
				t.Errorf("keychain items: got %q; want %q untouched", got, items)
			}
			assertNothingOnDisk(t, s, "Reporting API", "OLDKEY")

			views, err := s.Check(ctx)
			if err != nil || views[0].Status != integration.StatusConnected || views[0].Cause != integration.CauseNone || views[0].Problem != nil {
				t.Errorf("first check after recovery got %+v, %v; want connected", views, err)
			}
		})
	}
}

// An OAuth repair whose tokens the keychain cannot store: the window is
// told why, the integration shows that keychain state with a history
// event (not the state from before the repair), and once the keychain is
// back the next repair connects.
func TestReauthorizeWhenKeychainFails(t *testing.T) {
	ctx := context.Background()
	s, mem, _ := newService(t)
	v, _ := addOAuth(t, s)

	heal := breakKeychain(mem, &keychainFault{op: "set", err: errKeychainLocked})
	_, err := s.Reauthorize(ctx, v.ID, ReauthOptions{Timeout: 10 * time.Second})
	heal()
	if got := integration.AsProblem(err); err == nil || got.Code != "error.keychain_locked" {
		t.Fatalf("Reauthorize with a locked keychain: got %v; want error.keychain_locked", err)
	}
	in, _ := s.store.GetIntegration(ctx, v.ID)
	if in.Status != integration.StatusError || in.Cause != integration.CauseLocalProblem || in.Problem == nil || in.Problem.Code != "problem.keychain_locked" {
		t.Errorf("stored state: got %s/%s/%v; want error/local_problem/problem.keychain_locked", in.Status, in.Cause, in.Problem)
	}
	page, _ := s.History(ctx, HistoryFilter{IntegrationID: v.ID, Kinds: []string{string(integration.EventError)}})
	if len(page.Events) == 0 || page.Events[0].Message != "error.keychain_locked" {
		t.Errorf("history: got %+v; want an error event with error.keychain_locked", page.Events)
	}

	got, err := s.Reauthorize(ctx, v.ID, ReauthOptions{Timeout: 10 * time.Second})
	if err != nil || got.Status != integration.StatusConnected {
		t.Fatalf("after the keychain is back: got %s, %v; want connected", got.Status, err)
	}
}

// A keychain failure met while setting up the OAuth probe (reading the
// client secret) is the keychain's state, as it is on the token path:
// never "a problem inside Relink". Seen after a concurrent "Check all"
// when the Secret Service had been restarted locked.
func TestCheckWhenKeychainFailsReadingClientSecret(t *testing.T) {
	ctx := context.Background()
	s, mem, _ := newService(t)
	v, _ := addOAuth(t, s)
	if got, err := s.Reauthorize(ctx, v.ID, ReauthOptions{Timeout: 10 * time.Second}); err != nil || got.Status != integration.StatusConnected {
		t.Fatalf("Reauthorize: %s, %v; want connected", got.Status, err)
	}
	mem.SetFail(func(op, user string) error {
		if op == "get" && strings.HasSuffix(user, "/"+secrets.SlotClientSecret) {
			return errKeychainLocked
		}
		return nil
	})
	defer mem.SetFail(nil)
	var views []IntegrationView
	for range health.ConfirmAfter {
		var err error
		if views, err = s.Check(ctx, v.ID); err != nil {
			t.Fatal(err)
		}
	}
	got := views[0]
	if got.Status != integration.StatusError || got.Cause != integration.CauseLocalProblem || got.Problem == nil || got.Problem.Code != "problem.keychain_locked" {
		t.Errorf("got %s/%s/%v; want error/local_problem/problem.keychain_locked", got.Status, got.Cause, got.Problem)
	}
}
