package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"relink/backend/integration"
	"relink/backend/internal/testrig"
)

// These tests use real file systems in real fault states (a small tmpfs
// filled up, remounted read-only), so they need root; CI runs as root.

// seed creates a database with one integration and n history events.
func seed(t *testing.T, path string, n int) {
	t.Helper()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateIntegration(context.Background(), sample("shop-1", "My Shop")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := s.AppendEvents(context.Background(), integration.Event{IntegrationID: "shop-1", Integration: "My Shop", Kind: integration.EventCheck}); err != nil {
			t.Fatal(err)
		}
	}
}

func countEvents(t *testing.T, s *Store) int {
	t.Helper()
	evs, err := s.QueryEvents(context.Background(), EventFilter{Limit: 1000})
	if err != nil {
		t.Fatalf("history unreadable: %v", err)
	}
	return len(evs)
}

func TestOpenForAppStartsAndShowsTheProblem(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares the file in dir and returns a function that
		// removes the fault (nil when it cannot be removed).
		setup        func(t *testing.T, dir, path string) (fix func())
		size         string
		wantProblem  error
		wantEvents   int
		wantUnharmed bool // the file's bytes are untouched while read-only
	}{
		{
			name: "newer schema", size: "4m", wantProblem: ErrNewerSchema, wantEvents: 3, wantUnharmed: true,
			setup: func(t *testing.T, dir, path string) func() {
				seed(t, path, 3)
				s, _ := Open(context.Background(), path)
				s.db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 1)`)
				s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
				s.Close()
				return nil
			},
		},
		{
			name: "read-only file system", size: "4m", wantProblem: ErrReadOnly, wantEvents: 3, wantUnharmed: true,
			setup: func(t *testing.T, dir, path string) func() {
				seed(t, path, 3)
				testrig.Mount(t, "-o", "remount,ro", dir)
				return func() { testrig.Mount(t, "-o", "remount,rw", dir) }
			},
		},
		{
			name: "disk full before the first start", size: "256k", wantProblem: ErrDiskFull, wantEvents: 0,
			setup: func(t *testing.T, dir, path string) func() {
				filler := filepath.Join(dir, "filler")
				testrig.FillDisk(t, filler)
				return func() { os.Remove(filler) }
			},
		},
		{
			name: "corrupt file in a read-only location", size: "4m", wantProblem: ErrCorrupt, wantEvents: 0, wantUnharmed: true,
			setup: func(t *testing.T, dir, path string) func() {
				os.WriteFile(path, bytes.Repeat([]byte("not a database "), 100), 0o600)
				testrig.Mount(t, "-o", "remount,ro", dir)
				return func() { testrig.Mount(t, "-o", "remount,rw", dir) }
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := testrig.MountTmpfs(t, tt.size)
			path := filepath.Join(dir, DBFile)
			fix := tt.setup(t, dir, path)
			before, _ := os.ReadFile(path)

			s, err := OpenForApp(ctx, path)
			if err != nil {
				t.Fatalf("OpenForApp: %v; want a read-only store", err)
			}
			defer s.Close()
			if got := s.Problem(); !errors.Is(got, tt.wantProblem) || !s.ReadOnly() {
				t.Fatalf("Problem() = %v, ReadOnly() = %v; want %v, read-only", got, s.ReadOnly(), tt.wantProblem)
			}
			var p *integration.Problem
			if !errors.As(s.Problem(), &p) || p.Code == "" {
				t.Errorf("problem %v carries no code for the window", s.Problem())
			}
			if errors.Is(tt.wantProblem, ErrReadOnly) && p.Params["path"] == "" {
				t.Errorf("read-only problem %+v does not name the file", p)
			}
			if got := countEvents(t, s); got != tt.wantEvents {
				t.Errorf("visible history got %d events; want %d", got, tt.wantEvents)
			}
			if err := s.AppendEvents(ctx, integration.Event{Kind: integration.EventCheck}); !errors.Is(err, tt.wantProblem) {
				t.Errorf("write while read-only: got %v; want %v", err, tt.wantProblem)
			}
			if after, _ := os.ReadFile(path); tt.wantUnharmed && !bytes.Equal(before, after) {
				t.Errorf("the file changed while the store was read-only")
			}
			if fix == nil {
				if err := s.Recover(ctx); !errors.Is(err, tt.wantProblem) {
					t.Errorf("Recover with the cause in place: got %v; want %v", err, tt.wantProblem)
				}
				return
			}
			fix()
			if err := s.Recover(ctx); err != nil {
				t.Fatalf("Recover after the fault is gone: %v", err)
			}
			if s.ReadOnly() || s.Problem() != nil {
				t.Errorf("after Recover: ReadOnly() = %v, Problem() = %v; want writable, no problem", s.ReadOnly(), s.Problem())
			}
			if err := s.AppendEvents(ctx, integration.Event{Kind: integration.EventCheck}); err != nil {
				t.Errorf("write after Recover: %v", err)
			}
			if got := countEvents(t, s); got != tt.wantEvents+1 {
				t.Errorf("history after Recover got %d events; want %d", got, tt.wantEvents+1)
			}
			if res, _ := s.IntegrityCheck(ctx); res != "ok" {
				t.Errorf("integrity_check: %s", res)
			}
			if errors.Is(tt.wantProblem, ErrCorrupt) {
				matches, _ := filepath.Glob(path + ".corrupt-*")
				if kept, _ := os.ReadFile(firstOr(matches)); !bytes.Equal(kept, before) {
					t.Errorf("corrupt file kept aside: got %v; want its original bytes", matches)
				}
				if n := s.Notice(); !errors.Is(n, ErrCorrupt) {
					t.Errorf("Notice() = %v; want the corrupt file kept aside", n)
				}
			}
		})
	}
}

func firstOr(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func TestDiskFullWhileRunningLosesNothing(t *testing.T) {
	ctx := context.Background()
	dir := testrig.MountTmpfs(t, "1m")
	path := filepath.Join(dir, DBFile)
	seed(t, path, 5)
	s, err := OpenForApp(ctx, path)
	if err != nil || s.Problem() != nil {
		t.Fatalf("OpenForApp = %v, problem %v; want a healthy store", err, s.Problem())
	}
	defer s.Close()
	filler := filepath.Join(dir, "filler")
	testrig.FillDisk(t, filler)

	// Writes fail with a named cause until space returns; what was saved
	// stays readable.
	big := strings.Repeat("x", 4000)
	var werr error
	for i := 0; i < 500 && werr == nil; i++ {
		werr = s.AppendEvents(ctx, integration.Event{IntegrationID: "shop-1", Integration: "My Shop", Kind: integration.EventCheck, Message: big})
	}
	if !errors.Is(werr, ErrDiskFull) || !errors.Is(s.Problem(), ErrDiskFull) {
		t.Fatalf("write on a full disk: got %v, Problem() %v; want ErrDiskFull", werr, s.Problem())
	}
	if s.ReadOnly() {
		t.Errorf("a full disk while running made the store read-only; want it to keep trying")
	}
	saved := countEvents(t, s)
	if saved < 5 {
		t.Errorf("history on a full disk got %d events; want at least the 5 saved before", saved)
	}
	if err := s.Recover(ctx); !errors.Is(err, ErrDiskFull) {
		t.Errorf("Recover while still full: got %v; want ErrDiskFull", err)
	}

	os.Remove(filler)
	if err := s.Recover(ctx); err != nil || s.Problem() != nil {
		t.Fatalf("Recover after freeing space: %v (Problem %v); want nil", err, s.Problem())
	}
	if err := s.AppendEvents(ctx, integration.Event{Kind: integration.EventCheck}); err != nil {
		t.Errorf("write after freeing space: %v", err)
	}
	if got := countEvents(t, s); got != saved+1 {
		t.Errorf("history after recovery got %d events; want %d", got, saved+1)
	}
	if res, _ := s.IntegrityCheck(ctx); res != "ok" {
		t.Errorf("integrity_check: %s", res)
	}
}

func TestCorruptFileKeptAsideWithANotice(t *testing.T) {
	path := filepath.Join(t.TempDir(), DBFile)
	junk := bytes.Repeat([]byte("not a database "), 100)
	os.WriteFile(path, junk, 0o600)
	s, err := OpenForApp(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var p *integration.Problem
	if s.ReadOnly() || s.Problem() != nil || !errors.As(s.Notice(), &p) {
		t.Fatalf("ReadOnly %v, Problem %v, Notice %v; want a writable fresh store and a notice", s.ReadOnly(), s.Problem(), s.Notice())
	}
	if kept, _ := os.ReadFile(p.Params["path"]); !bytes.Equal(kept, junk) {
		t.Errorf("notice names %q; want the file holding the original bytes", p.Params["path"])
	}
}

// TestChangeAndItsHistoryCommitTogether: when recording the event fails,
// the change itself is not saved either (and the other way round).
func TestChangeAndItsHistoryCommitTogether(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	in := sample("shop-1", "My Shop")
	if err := s.CreateIntegration(ctx, in, integration.Event{IntegrationID: in.ID, Kind: integration.EventCreated}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.conn().Exec(`CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'injected'); END`); err != nil {
		t.Fatal(err)
	}
	changed := in
	changed.Status = integration.StatusNeedsReauth
	ev := integration.Event{IntegrationID: in.ID, Kind: integration.EventStatusChange, NewStatus: changed.Status}
	if err := s.UpdateIntegration(ctx, changed, ev); err == nil {
		t.Fatal("UpdateIntegration with a failing event: got nil; want the error")
	}
	if got, _ := s.GetIntegration(ctx, in.ID); got.Status != integration.StatusConnected {
		t.Errorf("status after a failed event write: got %s; want connected (unchanged)", got.Status)
	}
	if err := s.DeleteIntegration(ctx, in.ID, ev); err == nil {
		t.Fatal("DeleteIntegration with a failing event: got nil; want the error")
	}
	if _, err := s.GetIntegration(ctx, in.ID); err != nil {
		t.Errorf("integration after a failed removal: %v; want it kept", err)
	}
	if err := s.CreateIntegration(ctx, sample("shop-2", "Other"), ev); err == nil {
		t.Fatal("CreateIntegration with a failing event: got nil; want the error")
	}
	if _, err := s.GetIntegration(ctx, "shop-2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("integration created without its history: %v; want ErrNotFound", err)
	}
	if got := countEvents(t, s); got != 1 {
		t.Errorf("events got %d; want only the first created event", got)
	}
}
