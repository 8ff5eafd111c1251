package services

import (
	"context"
	"errors"
	"os"
	"reflect"
	"sync"
	"testing"
	"time"

	"relink/backend/health"
	"relink/backend/integration"
)

// sleeps records the waits of an explicit check's re-probes instead of
// waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

// Misreading: `relink check` right after a server stopped printed
// Connected and exited 0; only the second check said Error.
func TestExplicitCheckReportsTransientFailureOnFirstCall(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	var sl sleeps
	s.policy = health.NewPolicy(health.PolicyConfig{Sleep: sl.sleep})
	kp := newKeyProvider(t, "k")
	v := addKey(t, s, kp, "API", "k")
	kp.set(true, "k")
	kp.hits = 0
	views, err := s.Check(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := views[0]; got.Status != integration.StatusError || got.Cause != integration.CauseProviderIssue || got.Rechecking {
		t.Errorf("first explicit check of a down service got %s/%s (rechecking %v); want error/provider_issue", got.Status, got.Cause, got.Rechecking)
	}
	if !integration.NeedsAttention(views[0].Status) {
		t.Errorf("status %s would exit 0", views[0].Status)
	}
	delays := []time.Duration{500 * time.Millisecond, 1500 * time.Millisecond}
	if want := 1 + len(delays); kp.hits != want {
		t.Errorf("probes: got %d; want %d (one, then a bounded re-probe per delay)", kp.hits, want)
	}
	if !reflect.DeepEqual(sl.d, delays) {
		t.Errorf("waits: got %v; want %v", sl.d, delays)
	}
}

// A blip right after a healthy state is re-probed at once: the answer is
// the re-probe's.
func TestExplicitCheckReprobesABlip(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	kp := newKeyProvider(t, "k")
	v := addKey(t, s, kp, "API", "k")
	kp.set(true, "k")
	s.policy = health.NewPolicy(health.PolicyConfig{Sleep: func(ctx context.Context, _ time.Duration) error {
		kp.set(false, "k") // the provider is back before the re-probe
		return nil
	}})
	views, _ := s.Check(ctx, v.ID)
	if got := views[0]; got.Status != integration.StatusConnected {
		t.Errorf("after a blip got %s; want connected, as the re-probe saw", got.Status)
	}
}

// A healthy integration is checked once, with no wait.
func TestExplicitCheckOfHealthyDoesNotWait(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	var sl sleeps
	s.policy = health.NewPolicy(health.PolicyConfig{Sleep: sl.sleep})
	kp := newKeyProvider(t, "k")
	v := addKey(t, s, kp, "API", "k")
	kp.hits = 0
	views, _ := s.Check(ctx, v.ID)
	if views[0].Status != integration.StatusConnected || kp.hits != 1 || len(sl.d) != 0 {
		t.Errorf("healthy check: %s, %d probes, waits %v; want connected, 1 probe, no wait", views[0].Status, kp.hits, sl.d)
	}
}

// The unconfirmed failure is a stored field, read back by a list in
// another process, not text in an event.
func TestRecheckingIsStoredWithTheIntegration(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	kp := newKeyProvider(t, "k")
	v := addKey(t, s, kp, "API", "k")
	kp.set(true, "k")
	s.CheckOne(ctx, v.ID)
	in, err := s.store.GetIntegration(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if in.Status != integration.StatusConnected || in.Unconfirmed == nil || in.Unconfirmed.Code != "problem.provider_outage" {
		t.Fatalf("stored: %s unconfirmed %+v; want the last confirmed status and the unconfirmed outage", in.Status, in.Unconfirmed)
	}
	fresh := New(Config{Store: s.store, Secrets: s.secrets, Catalog: s.catalog, I18n: s.i18n, DataDir: s.dataDir})
	list, _ := fresh.ListIntegrations(ctx)
	if list[0].Status != integration.StatusChecking || !list[0].Rechecking || list[0].NeedsAttention {
		t.Errorf("list in another process: %s rechecking %v; want checking again", list[0].Status, list[0].Rechecking)
	}
}

// Acceptance: `relink check NAME` on a database whose server was just
// stopped says provider_issue on the first call (exit 3); on a healthy one
// it answers without re-probing.
func TestCheckOnStoppedPostgresSaysSoOnFirstCall(t *testing.T) {
	if os.Getenv("RELINK_TEST_PG_HOST") == "" {
		t.Skip(`needs a real PostgreSQL: eval "$(.ci/start-postgres DIR)"`)
	}
	ctx := context.Background()
	s, _, _ := newService(t)
	var sl sleeps
	s.policy = health.NewPolicy(health.PolicyConfig{Sleep: sl.sleep})
	pgAdmin(t, "CREATE ROLE firstcall LOGIN PASSWORD 'first-call-1'; GRANT USAGE ON SCHEMA public TO firstcall; GRANT SELECT ON public.orders TO firstcall")
	t.Cleanup(func() { pgAdmin(t, "DROP OWNED BY firstcall; DROP ROLE firstcall") })
	v, err := s.Add(ctx, AddRequest{Provider: "postgres", Name: "Warehouse", Secret: "first-call-1", Settings: map[string]string{
		"host": os.Getenv("RELINK_TEST_PG_HOST"), "port": os.Getenv("RELINK_TEST_PG_PORT"), "database": os.Getenv("RELINK_TEST_PG_DB"),
		"user": "firstcall", "tls_mode": "disable", "schema": "public", "tables": "orders"}})
	if err != nil || v.Status != integration.StatusConnected {
		t.Fatalf("add: %+v %v", v, err)
	}
	views, err := s.Check(ctx, v.ID)
	if err != nil || views[0].Status != integration.StatusConnected || len(sl.d) != 0 {
		t.Fatalf("healthy: %s %v, waits %v; want connected without a wait", views[0].Status, err, sl.d)
	}

	sh(t, os.Getenv("RELINK_TEST_PG_STOP"))
	defer sh(t, os.Getenv("RELINK_TEST_PG_START"))
	views, err = s.Check(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := views[0]; got.Status != integration.StatusError || got.Cause != integration.CauseProviderIssue {
		t.Errorf("first check after the server stopped: %s/%s; want error/provider_issue", got.Status, got.Cause)
	}
}

// A provider that asks for time between calls (Adobe's update cycle:
// minInterval) is not re-probed: what the one call saw stands.
func TestRecheckRespectsMinInterval(t *testing.T) {
	s, _, _ := newService(t)
	p, ok := s.catalog.Get("commerce-intelligence")
	if !ok || p.MinInterval <= 0 {
		t.Fatalf("commerce-intelligence has no minInterval")
	}
	calls := 0
	outage := func() probeResult {
		calls++
		return errResult(errors.New("connection refused"))
	}
	if res := s.recheck(context.Background(), p, outage); calls != 1 || !health.Transient(res.verdict) {
		t.Errorf("calls %d, verdict %+v; want one call and its transient failure", calls, res.verdict)
	}
}
