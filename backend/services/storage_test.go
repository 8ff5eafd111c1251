package services

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"relink/backend/store"
)

// TestReadOnlyDataRefusesActionsUpFront: when the data cannot be saved
// (here a newer Relink's schema), the integrations stay visible and every
// action that would change something is refused with the reason before
// it touches the provider or the keychain.
func TestReadOnlyDataRefusesActionsUpFront(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	kp := newKeyProvider(t, "key-1", "key-2")
	first, _, _ := newServiceIn(t, dir)
	v := addKey(t, first, kp, "Shop", "key-1")
	first.store.Close()
	db, err := sql.Open("sqlite", filepath.Join(dir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, mem, rec := newServiceIn(t, dir)
	var mu sync.Mutex
	var keychain []string
	mem.SetFail(func(op, user string) error {
		mu.Lock()
		defer mu.Unlock()
		keychain = append(keychain, op+" "+user)
		return nil
	})
	st := s.Storage()
	if !st.ReadOnly || st.Problem == nil || st.Problem.Code != "error.db_newer_schema" {
		t.Fatalf("Storage() = %+v; want read-only with error.db_newer_schema", st)
	}
	if got, err := s.ListIntegrations(ctx); err != nil || len(got) != 1 || got[0].Name != "Shop" {
		t.Fatalf("ListIntegrations = %v, %v; want the one integration, readable", got, err)
	}
	hits := kp.hits
	actions := []struct {
		name string
		do   func() error
	}{
		{"add", func() error {
			_, err := s.Add(ctx, AddRequest{Provider: "custom-api-key", Name: "Other", Secret: "key-2"})
			return err
		}},
		{"update", func() error { _, err := s.Update(ctx, v.ID, "Renamed", v.Settings); return err }},
		{"remove", func() error { _, err := s.Remove(ctx, v.ID); return err }},
		{"pause", func() error { _, err := s.SetPaused(ctx, v.ID, true); return err }},
		{"new secret", func() error { _, err := s.SubmitSecret(ctx, v.ID, "key-2"); return err }},
		{"reauthorize", func() error { _, err := s.PrepareRepair(ctx, v.ID); return err }},
		{"check now", func() error { _, err := s.Check(ctx); return err }},
		{"settings", func() error {
			cur, _ := s.Settings(ctx)
			_, err := s.SaveSettings(ctx, cur)
			return err
		}},
	}
	for _, a := range actions {
		if err := a.do(); !errors.Is(err, store.ErrNewerSchema) {
			t.Errorf("%s while read-only: got %v; want ErrNewerSchema", a.name, err)
		}
	}
	if kp.hits != hits {
		t.Errorf("provider got %d requests while read-only; want 0", kp.hits-hits)
	}
	mu.Lock()
	if slices.ContainsFunc(keychain, func(c string) bool { return c[:3] != "get" }) {
		t.Errorf("keychain calls while read-only: %v; want no writes or deletes", keychain)
	}
	mu.Unlock()
	if got, _ := s.ListIntegrations(ctx); len(got) != 1 || got[0].Name != "Shop" || got[0].Paused {
		t.Errorf("after refused actions: %+v; want Shop unchanged", got)
	}

	// Try again keeps the reason and tells the window.
	if got := s.RetryStorage(ctx); got.Problem == nil || got.Problem.Code != "error.db_newer_schema" {
		t.Errorf("RetryStorage = %+v; want the newer-schema problem still", got)
	}
	if !slices.Contains(rec.events, EventStorage) {
		t.Errorf("events %v; want %s", rec.events, EventStorage)
	}

	// Once the cause is gone, the next action recovers the data itself.
	db, err = sql.Open("sqlite", filepath.Join(dir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version = 999`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := s.SetPaused(ctx, v.ID, true); err != nil {
		t.Fatalf("pause after the cause went away: %v; want the data recovered", err)
	}
	if st := s.Storage(); st.ReadOnly || st.Problem != nil {
		t.Errorf("Storage() after recovery = %+v; want writable", st)
	}
	if err := s.RecoverStorage(ctx); err != nil {
		t.Errorf("RecoverStorage of writable data = %v; want nil", err)
	}
}
