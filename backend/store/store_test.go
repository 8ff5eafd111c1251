package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"relink/backend/integration"
	"relink/backend/internal/testrig"
)

func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), DBFile))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func sample(id, name string) integration.Integration {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return integration.Integration{
		ID: id, Name: name, Provider: "stripe", Kind: integration.KindAPIKey,
		Settings: map[string]string{"mode": "live"}, Account: "acct_1",
		RequiredScopes: []string{"read"}, GrantedScopes: []string{"read"},
		Status: integration.StatusConnected, Problem: integration.NewProblem("problem.x", "a", "b"),
		LastChecked: now, CreatedAt: now, UpdatedAt: now,
	}
}

func TestIntegrationCRUD(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	in := sample("shop-1", "My Shop")
	if err := s.CreateIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindIntegration(ctx, "my shop")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != in.ID || got.Settings["mode"] != "live" || got.Problem == nil || got.Problem.Params["a"] != "b" || !got.LastChecked.Equal(in.LastChecked) {
		t.Errorf("got %+v; want %+v", got, in)
	}
	if err := s.CreateIntegration(ctx, sample("shop-2", "MY SHOP")); !errors.Is(err, ErrDuplicateName) {
		t.Errorf("duplicate name: got %v; want ErrDuplicateName", err)
	}
	var p *integration.Problem
	if err := s.CreateIntegration(ctx, sample("shop-3", "my shop")); !errors.As(err, &p) || p.Code != "error.name_taken" {
		t.Errorf("duplicate name problem: got %v", err)
	}
	in.Status = integration.StatusNeedsReauth
	if err := s.UpdateIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetIntegration(ctx, in.ID); got.Status != integration.StatusNeedsReauth {
		t.Errorf("status got %s; want needs_reauth", got.Status)
	}
	if err := s.AppendEvents(ctx, integration.Event{IntegrationID: in.ID, Integration: in.Name, Kind: integration.EventCheck}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteIntegration(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetIntegration(ctx, in.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete got %v; want ErrNotFound", err)
	}
	evs, err := s.QueryEvents(ctx, EventFilter{})
	if err != nil || len(evs) != 1 || evs[0].Integration != "My Shop" || evs[0].IntegrationID != "" {
		t.Errorf("history after removal: got %+v, %v; want the event kept with its name", evs, err)
	}
}

func fileHash(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestMigrationsFromEachEarlierSchema(t *testing.T) {
	ctx := context.Background()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 2 {
		t.Fatalf("got %d migrations; want at least 2", len(ms))
	}
	for k := 0; k <= len(ms); k++ {
		t.Run(fmt.Sprintf("from_%d", k), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), DBFile)
			db, err := sql.Open("sqlite", dsn(path, false))
			if err != nil {
				t.Fatal(err)
			}
			old := &Store{db: db}
			if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			if err := old.migrateTo(ctx, ms[:k]); err != nil {
				t.Fatal(err)
			}
			if k >= 1 {
				if _, err := db.Exec(`INSERT INTO integrations (id, name, provider, kind, status, created_at, updated_at) VALUES ('a', 'A', 'p', 'api_key', 'connected', 1, 1)`); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()
			s, err := Open(ctx, path)
			if err != nil {
				t.Fatalf("Open after %d migrations: %v", k, err)
			}
			defer s.Close()
			var v int
			s.db.QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&v)
			if v != SchemaVersion() {
				t.Errorf("version got %d; want %d", v, SchemaVersion())
			}
			if k >= 1 {
				if _, err := s.GetIntegration(ctx, "a"); err != nil {
					t.Errorf("data from schema %d lost: %v", k, err)
				}
			}
			if err := s.SetSetting(ctx, "k", "v"); err != nil {
				t.Errorf("settings table missing after migration: %v", err)
			}
		})
	}
}

func TestNewerSchemaRefusedUnmodified(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), DBFile)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 1)`)
	s.db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	s.Close()
	before := fileHash(t, path)
	_, err = Open(ctx, path)
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("got %v; want ErrNewerSchema", err)
	}
	var p *integration.Problem
	if !errors.As(err, &p) || p.Params["found"] != "999" {
		t.Errorf("problem got %+v; want found=999", p)
	}
	if fileHash(t, path) != before {
		t.Errorf("newer-schema database was modified")
	}
}

func TestCorruptFileDetectedAndKeptAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), DBFile)
	junk := bytes.Repeat([]byte("not a database "), 100)
	os.WriteFile(path, junk, 0o600)
	_, err := Open(context.Background(), path)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v; want ErrCorrupt", err)
	}
	moved, err := QuarantineCorrupt(path)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(moved); !bytes.Equal(b, junk) {
		t.Errorf("quarantined bytes differ")
	}
	if _, err := Open(context.Background(), path); err != nil {
		t.Errorf("fresh open after quarantine: %v", err)
	}
}

func TestReadOnlyFileIsAClearError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DBFile)
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	testrig.ReadOnlyFile(t, path)
	_, err = Open(context.Background(), path)
	var p *integration.Problem
	if !errors.Is(err, ErrReadOnly) || !errors.As(err, &p) || p.Params["path"] != path {
		t.Errorf("got %v (problem %v); want ErrReadOnly naming %s", err, p, path)
	}
}

func TestConcurrentWritersLoseNothing(t *testing.T) {
	s := openTemp(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if err := s.AppendEvents(context.Background(), integration.Event{Kind: integration.EventCheck}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	var n int
	s.db.QueryRow(`SELECT count(*) FROM events`).Scan(&n)
	if n != 400 {
		t.Errorf("got %d events; want 400", n)
	}
}

// TestHelperWriter is a child process of TestTwoProcessesWriting.
func TestHelperWriter(t *testing.T) {
	path := os.Getenv("RELINK_STORE_WRITER_DB")
	if path == "" {
		t.Skip("helper process")
	}
	n, _ := strconv.Atoi(os.Getenv("RELINK_STORE_WRITER_N"))
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < n; i++ {
		if err := s.AppendEvents(context.Background(), integration.Event{Kind: integration.EventCheck, Message: os.Getenv("RELINK_STORE_WRITER_ID")}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestTwoProcessesWriting(t *testing.T) {
	path := filepath.Join(t.TempDir(), DBFile)
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 200
	var wg sync.WaitGroup
	for p := 0; p < 2; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$")
			cmd.Env = append(os.Environ(), "RELINK_STORE_WRITER_DB="+path, "RELINK_STORE_WRITER_N="+strconv.Itoa(n), "RELINK_STORE_WRITER_ID=p"+strconv.Itoa(p))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("writer %d: %v\n%s", p, err, out)
			}
		}()
	}
	// The parent writes too, so three writers contend.
	for i := 0; i < n; i++ {
		if err := s.AppendEvents(context.Background(), integration.Event{Kind: integration.EventCheck, Message: "parent"}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	var got int
	s.db.QueryRow(`SELECT count(*) FROM events`).Scan(&got)
	if got != 3*n {
		t.Errorf("got %d events; want %d", got, 3*n)
	}
	if res, _ := s.IntegrityCheck(context.Background()); res != "ok" {
		t.Errorf("integrity_check: %s", res)
	}
}

func fill(t testing.TB, s *Store, n int) {
	t.Helper()
	statuses := []integration.Status{integration.StatusConnected, integration.StatusNeedsReauth, integration.StatusError, integration.StatusDegraded}
	causes := []integration.Cause{"", integration.CauseTokenExpired, integration.CauseProviderIssue, integration.CauseAccessRevoked}
	ctx := context.Background()
	for i := 0; i < 20; i++ {
		in := sample(fmt.Sprintf("int-%d", i), fmt.Sprintf("Integration %d", i))
		if err := s.CreateIntegration(ctx, in); err != nil && !errors.Is(err, ErrDuplicateName) {
			t.Fatal(err)
		}
	}
	base := time.Now().Add(-time.Duration(n) * time.Second)
	batch := make([]integration.Event, 0, 1000)
	for i := 0; i < n; i++ {
		batch = append(batch, integration.Event{
			Time: base.Add(time.Duration(i) * time.Second), IntegrationID: fmt.Sprintf("int-%d", i%20), Integration: "x",
			Kind: integration.EventCheck, NewStatus: statuses[i%4], Cause: causes[(i/4)%4],
		})
		if len(batch) == cap(batch) || i == n-1 {
			if err := s.AppendEvents(ctx, batch...); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
}

func TestHistoryFiltersUseAnIndex(t *testing.T) {
	s := openTemp(t)
	fill(t, s, 10000)
	s.db.Exec(`ANALYZE`)
	since := time.Now().Add(-time.Hour)
	for name, f := range map[string]EventFilter{
		"newest":           {},
		"integration":      {IntegrationID: "int-3"},
		"integration+time": {IntegrationID: "int-3", Since: since},
		"status":           {Statuses: []integration.Status{integration.StatusNeedsReauth}},
		"cause":            {Causes: []integration.Cause{integration.CauseProviderIssue}},
		"page2":            {IntegrationID: "int-3", BeforeID: 5000},
	} {
		plan, err := s.ExplainEvents(context.Background(), f)
		if err != nil {
			t.Fatal(err)
		}
		// The unfiltered page walks the primary key backwards and stops after
		// 50 rows; every filter must use its index.
		fullScan := name != "newest" && strings.Contains(plan, "SCAN events\n")
		if fullScan || strings.Contains(plan, "USE TEMP B-TREE") {
			t.Errorf("%s: plan got %q; want an index range, no full scan or sort", name, plan)
		}
	}
	got, err := s.QueryEvents(context.Background(), EventFilter{IntegrationID: "int-3", Statuses: []integration.Status{integration.StatusNeedsReauth}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range got {
		if e.IntegrationID != "int-3" || e.NewStatus != integration.StatusNeedsReauth || (i > 0 && e.ID >= got[i-1].ID) {
			t.Errorf("event %d: got %+v; want int-3 needs_reauth newest first", i, e)
		}
	}
}

func TestPagingAndPrune(t *testing.T) {
	s := openTemp(t)
	fill(t, s, 120)
	ctx := context.Background()
	p1, _ := s.QueryEvents(ctx, EventFilter{Limit: 50})
	p2, _ := s.QueryEvents(ctx, EventFilter{Limit: 50, BeforeID: p1[49].ID})
	if len(p1) != 50 || len(p2) != 50 || p2[0].ID >= p1[49].ID {
		t.Fatalf("paging: got %d, %d events; want 50, 50 in order", len(p1), len(p2))
	}
	cut := time.Now().Add(-60 * time.Second)
	total := 0
	for {
		n, err := s.Prune(ctx, cut, 7)
		if err != nil {
			t.Fatal(err)
		}
		if n > 7 {
			t.Errorf("a prune batch deleted %d; want at most 7", n)
		}
		if n == 0 {
			break
		}
		total += n
	}
	left, _ := s.QueryEvents(ctx, EventFilter{Limit: 1000})
	if total == 0 || len(left)+total != 120 {
		t.Errorf("pruned %d, left %d; want the sum 120", total, len(left))
	}
	for _, e := range left {
		if e.Time.Before(cut.Truncate(time.Millisecond)) {
			t.Errorf("event at %v survived prune before %v", e.Time, cut)
		}
	}
}

func TestExportCSVRoundTrip(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	msgs := []string{"plain", "comma, inside", `quote "x"`, "new\nline", "ñandú — 日本", "=HYPERLINK(\"x\")"}
	for _, m := range msgs {
		s.AppendEvents(ctx, integration.Event{Kind: integration.EventError, Message: m, Integration: "Tienda"})
	}
	var buf bytes.Buffer
	if err := s.ExportCSV(ctx, &buf, EventFilter{}); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(msgs)+1 || strings.Join(recs[0], ",") != strings.Join(CSVHeader, ",") {
		t.Fatalf("got %d records, header %v", len(recs), recs[0])
	}
	for i, m := range msgs {
		got := recs[len(msgs)-i][8]
		want := CSVSafe(m)
		if got != want {
			t.Errorf("message %d: got %q; want %q", i, got, want)
		}
	}
	if recs[1][8] != `'=HYPERLINK("x")` {
		t.Errorf("formula not neutralised: %q", recs[1][8])
	}
}

func FuzzExportCSV(f *testing.F) {
	for _, s := range []string{"", "a,b", "\"q\"", "=1+1", "\n\r", "ü", "\x00"} {
		f.Add(s, s)
	}
	s := openTemp(f)
	f.Fuzz(func(t *testing.T, msg, name string) {
		ctx := context.Background()
		if _, err := s.db.Exec(`DELETE FROM events`); err != nil {
			t.Fatal(err)
		}
		if err := s.AppendEvents(ctx, integration.Event{Kind: integration.EventCheck, Message: msg, Integration: name}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := s.ExportCSV(ctx, &buf, EventFilter{}); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if err != nil {
			t.Fatalf("export not parseable: %v", err)
		}
		// encoding/csv normalises \r\n inside quoted fields to \n.
		norm := func(s string) string { return strings.ReplaceAll(CSVSafe(s), "\r\n", "\n") }
		if len(recs) != 2 || recs[1][8] != norm(msg) || recs[1][3] != norm(name) {
			t.Errorf("round trip: got %q; want %q / %q", recs, msg, name)
		}
	})
}

func TestResolveDataDir(t *testing.T) {
	tmp := t.TempDir()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	for _, tc := range []struct {
		name, flag string
		env        map[string]string
		want       string
	}{
		{"flag wins", filepath.Join(tmp, "f"), map[string]string{"RELINK_DATA_DIR": filepath.Join(tmp, "e")}, filepath.Join(tmp, "f")},
		{"env", "", map[string]string{"RELINK_DATA_DIR": filepath.Join(tmp, "e")}, filepath.Join(tmp, "e")},
		{"xdg", "", map[string]string{"XDG_DATA_HOME": filepath.Join(tmp, "x"), "HOME": tmp}, filepath.Join(tmp, "x", "relink")},
		{"home", "", map[string]string{"HOME": tmp}, filepath.Join(tmp, ".local", "share", "relink")},
	} {
		got, err := ResolveDataDir(tc.flag, env(tc.env))
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
		if st, err := os.Stat(got); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("%s: dir not created 0700: %v", tc.name, err)
		}
	}
}

func TestEventParamsRoundTrip(t *testing.T) {
	s := openTemp(t)
	ctx := context.Background()
	want := map[string]string{"privileges": "SELECT on public.orders", "quote": `"x", y`}
	if err := s.AppendEvents(ctx,
		integration.Event{Kind: integration.EventCheck, Integration: "DB"}.WithProblem(integration.NewProblem("problem.db_privileges", "privileges", want["privileges"], "quote", want["quote"])),
		integration.Event{Kind: integration.EventCheck, Integration: "DB"},
	); err != nil {
		t.Fatal(err)
	}
	evs, err := s.QueryEvents(ctx, EventFilter{})
	if err != nil || len(evs) != 2 {
		t.Fatalf("QueryEvents = %v, %v; want 2 events", evs, err)
	}
	if evs[0].Params != nil {
		t.Errorf("event without params: got %v; want nil", evs[0].Params)
	}
	if got := evs[1].Params; got["privileges"] != want["privileges"] || got["quote"] != want["quote"] || evs[1].Message != "problem.db_privileges" {
		t.Errorf("event params: got %q %v; want problem.db_privileges %v", evs[1].Message, got, want)
	}
	var buf bytes.Buffer
	if err := s.ExportCSV(ctx, &buf, EventFilter{}); err != nil {
		t.Fatal(err)
	}
	recs, _ := csv.NewReader(&buf).ReadAll()
	var fromCSV map[string]string
	if err := json.Unmarshal([]byte(recs[2][11]), &fromCSV); err != nil || fromCSV["quote"] != want["quote"] {
		t.Errorf("CSV params column: got %q (%v); want %v", recs[2][11], err, want)
	}
}
