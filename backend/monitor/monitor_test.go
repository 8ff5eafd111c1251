package monitor

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"relink/backend/catalog"
	"relink/backend/i18n"
	"relink/backend/integration"
	"relink/backend/secrets"
	"relink/backend/services"
	"relink/backend/store"
)

type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) Emit(name string, _ any) {
	r.mu.Lock()
	r.events = append(r.events, name)
	r.mu.Unlock()
}

func (r *recorder) saw(name string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.events, name)
}

// TestChecksWaitWhileReadOnlyAndStartOnRecovery: over data it cannot
// write (here a newer Relink's schema) the monitor runs no checks and
// keeps the window's banner as it is; once the data is writable again it
// tells the window, reloads it, and starts checking.
func TestChecksWaitWhileReadOnlyAndStartOnRecovery(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	path := filepath.Join(t.TempDir(), store.DBFile)
	seed, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := seed.CreateIntegration(ctx, integration.Integration{ID: "api-1", Name: "API", Provider: "custom-api-key", Kind: integration.KindAPIKey,
		Settings: map[string]string{"test_url": "https://127.0.0.1:9/me"}, Status: integration.StatusConnected, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	seed.Close()
	raw := func(q string) {
		t.Helper()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 1)`)

	st, err := store.OpenForApp(ctx, path)
	if err != nil || !st.ReadOnly() {
		t.Fatalf("OpenForApp = %v, read-only %v; want a read-only store", err, st.ReadOnly())
	}
	defer st.Close()
	cat, _ := catalog.Load()
	msgs, _ := i18n.Load()
	rec := &recorder{}
	svc := services.New(services.Config{Store: st, Secrets: secrets.NewWithBackend("relink-test", time.Second, secrets.NewMemory(), nil),
		Catalog: cat, I18n: msgs, Emitter: rec, DataDir: filepath.Dir(path)})
	m := New(Config{Service: svc, I18n: msgs})
	m.storage = problemText(svc.Storage().Problem)
	checks := func() int {
		evs, err := st.QueryEvents(ctx, store.EventFilter{Kinds: []integration.EventKind{integration.EventCheck}})
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}

	for tick := 1; tick <= recoverEvery; tick++ {
		m.followStorage(ctx, tick)
	}
	time.Sleep(100 * time.Millisecond)
	if got := checks(); got != 0 || rec.saw(services.EventStorage) {
		t.Fatalf("while read-only: %d checks, events %v; want none", got, rec.events)
	}

	raw(`DELETE FROM schema_migrations WHERE version = 999`) // the cause goes away
	m.followStorage(ctx, 2*recoverEvery)
	if st.ReadOnly() || !rec.saw(services.EventStorage) || !rec.saw(services.EventReload) {
		t.Fatalf("after recovery: read-only %v, events %v; want writable, %s and %s", st.ReadOnly(), rec.events, services.EventStorage, services.EventReload)
	}
	deadline := time.Now().Add(10 * time.Second)
	for checks() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := checks(); got == 0 {
		t.Errorf("no check ran after recovery; want the scheduler started")
	}
	cancel()
	m.wg.Wait()
}

func TestProblemTextIgnoresTheErrorsOwnWording(t *testing.T) {
	ro := func(cause string) error {
		return integration.NewError(store.ErrReadOnly, errors.New(cause), "error.db_read_only", "path", "/data")
	}
	tests := []struct {
		name string
		a, b error
		same bool
	}{
		{"same problem, another temp file", ro("open /data/.relink-write-test-1: read-only file system"), ro("open /data/.relink-write-test-2: read-only file system"), true},
		{"another folder", ro("x"), integration.NewError(store.ErrReadOnly, nil, "error.db_read_only", "path", "/other"), false},
		{"another problem", ro("x"), integration.NewError(store.ErrDiskFull, nil, "error.db_disk_full"), false},
		{"none and one", nil, ro("x"), false},
	}
	for _, tt := range tests {
		if got := problemText(integration.AsProblem(tt.a)) == problemText(integration.AsProblem(tt.b)); got != tt.same {
			t.Errorf("%s: same = %v; want %v", tt.name, got, tt.same)
		}
	}
}
