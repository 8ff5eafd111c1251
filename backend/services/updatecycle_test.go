package services

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"relink/backend/health"
	"relink/backend/integration"
	"relink/backend/internal/twins"
)

// twinClient answers requests for a twin's hosts in memory, so the real
// catalog URLs (https://api.rjmetrics.com/...) reach the twin.
func twinClient(tw twins.Twin) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if !slices.Contains(tw.Hosts(), r.URL.Hostname()) {
			return nil, errors.New("no twin for " + r.URL.Host)
		}
		rec := httptest.NewRecorder()
		tw.ServeHTTP(rec, r)
		return rec.Result(), nil
	})}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Test keys are plain words, never secret-looking strings.
const (
	ciExportKey = "twin-export-key-one"
	ciImportKey = "twin-import-key-one"
)

func TestCommerceIntelligenceAgainstTwin(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	ny, _ := time.LoadLocation("America/New_York")
	clock := &stepClock{now: time.Date(2025, 12, 10, 17, 0, 0, 0, time.UTC)}
	s.clock = clock
	twin := twins.NewCommerceIntelligence(194, ciExportKey, ciImportKey)
	s.probe = twinClient(twin)
	ended := func(ago time.Duration, statusID int, status string) *twins.UpdateJob {
		end := clock.Now().Add(-ago).In(ny)
		return &twins.UpdateJob{ID: 13554, TypeID: 2, TypeName: "Full Update", Start: end.Add(-3 * time.Minute).Format(time.DateTime),
			End: end.Format(time.DateTime), StatusID: statusID, StatusName: status}
	}
	twin.SetLastUpdate(ended(2*time.Hour, 4, "Completed Successfully"), "EST")

	v, err := s.Add(ctx, AddRequest{Provider: "commerce-intelligence", Name: "MBI", Secret: ciExportKey,
		Settings: map[string]string{"ci_client_id": "194"}})
	if err != nil || v.Status != integration.StatusConnected || v.Account != "194" {
		t.Fatalf("add: %s %q %v; want connected as client 194", v.Status, v.Account, err)
	}
	if lu := v.LastUpdate; lu == nil || lu.Type != "Full Update" || lu.Status != "Completed Successfully" || lu.Zone != "America/New_York" ||
		!lu.EndAt.Equal(clock.Now().Add(-2*time.Hour)) {
		t.Fatalf("last update shown: %+v; want the Full Update that ended 2 h ago, read in America/New_York", v.LastUpdate)
	}
	if v.IntegrationsURL == "" {
		t.Errorf("no link to Commerce Intelligence's own Integrations page")
	}
	check := func(after time.Duration) IntegrationView {
		t.Helper()
		clock.advance(after)
		vs, err := s.Check(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		return vs[0]
	}
	code := func(v IntegrationView) string {
		if v.Problem == nil {
			return ""
		}
		return v.Problem.Code
	}

	// At most one request a minute, scheduled or "Check now".
	before := twin.StatusRequests()
	if got := check(10 * time.Second); got.Status != integration.StatusConnected || twin.StatusRequests() != before {
		t.Fatalf("check within a minute: %s and %d requests; want connected from the last answer, no request", got.Status, twin.StatusRequests()-before)
	}
	in, _ := s.store.GetIntegration(ctx, v.ID)
	// A failure now asks for a re-check in 30 s, sooner than the provider's minute.
	s.policy.Observe(in, health.Verdict{Status: integration.StatusError, Cause: integration.CauseProviderIssue}, false, clock.Now())
	if due := s.NextDue(in, time.Second); due.Before(in.LastChecked.Add(time.Minute)) {
		t.Errorf("NextDue = %s; want no earlier than a minute after %s", due, in.LastChecked)
	}
	s.policy.Forget(v.ID)

	twin.SetLastUpdate(ended(40*time.Hour, 4, "Completed Successfully"), "EST")
	if got := check(time.Minute); got.Status != integration.StatusDegraded || code(got) != "problem.ci_update_stale" {
		t.Fatalf("stale: %s %s; want degraded problem.ci_update_stale", got.Status, code(got))
	}
	// The threshold is the user's setting, and reading the last answer
	// again needs no request.
	before = twin.StatusRequests()
	got, err := s.Update(ctx, v.ID, "MBI", map[string]string{"ci_client_id": "194", "stale_hours": "48"})
	if err != nil || got.Status != integration.StatusConnected || twin.StatusRequests() != before {
		t.Fatalf("stale_hours=48: %s %v, %d requests; want connected without a request", got.Status, err, twin.StatusRequests()-before)
	}

	twin.SetLastUpdate(ended(time.Hour, 5, "Failed"), "EST")
	if got := check(time.Minute); got.Status != integration.StatusDegraded || code(got) != "problem.ci_update_failed" || got.Problem.Params["status"] != "Failed" {
		t.Fatalf("failed update: %s %+v; want degraded problem.ci_update_failed naming Failed", got.Status, got.Problem)
	}

	// 429: a transient provider issue, confirmed on the second check.
	twin.SetLastUpdate(ended(time.Hour, 4, "Completed Successfully"), "EST")
	check(time.Minute)
	twin.RateLimit(true)
	check(time.Minute)
	if got := check(time.Minute); got.Status != integration.StatusError || got.Cause != integration.CauseProviderIssue || code(got) != "problem.rate_limited" {
		t.Fatalf("429: %s/%s %s; want error/provider_issue problem.rate_limited", got.Status, got.Cause, code(got))
	}
	twin.RateLimit(false)

	// 403: wrong key, wrong client or an address outside the allow-list.
	for _, breakIt := range []func(heal bool){
		func(heal bool) { twin.Block(!heal) },
		func(heal bool) {
			if heal {
				twin.SetKeys(ciExportKey, ciImportKey)
			} else {
				twin.SetKeys("twin-export-key-two", ciImportKey)
			}
		},
	} {
		breakIt(false)
		got := check(time.Minute)
		if got.Status != integration.StatusNeedsReauth || code(got) != "problem.ci_forbidden" {
			t.Fatalf("403: %s %s; want needs_reauth problem.ci_forbidden", got.Status, code(got))
		}
		if got := check(10 * time.Second); got.Status != integration.StatusNeedsReauth {
			t.Fatalf("within a minute of a 403: %s; want it to stand, not the older answer", got.Status)
		}
		msg := s.i18n.Problem("en", got.Problem)
		for _, word := range []string{"key", "client ID", "IP address"} {
			if !strings.Contains(msg, word) {
				t.Errorf("403 message %q does not mention the %s", msg, word)
			}
		}
		breakIt(true)
		// A new key is always tried, even within the minute.
		if got, err := s.SubmitSecret(ctx, v.ID, ciExportKey); err != nil || got.Status != integration.StatusConnected {
			t.Fatalf("repair after 403: %s %v", got.Status, err)
		}
	}
}

func TestCommerceIntelligenceTimeZoneChoice(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	clock := &stepClock{now: time.Date(2025, 12, 10, 17, 0, 0, 0, time.UTC)}
	s.clock = clock
	twin := twins.NewCommerceIntelligence(194, ciExportKey, ciImportKey)
	s.probe = twinClient(twin)
	// 09:00 in Shanghai is 01:00 UTC (16 h ago); in Chicago 15:00 UTC.
	twin.SetLastUpdate(&twins.UpdateJob{ID: 1, TypeID: 2, TypeName: "Full Update", Start: "2025-12-10 08:50:00", End: "2025-12-10 09:00:00",
		StatusID: 4, StatusName: "Completed Successfully"}, "CST")
	v, err := s.Add(ctx, AddRequest{Provider: "commerce-intelligence", Name: "MBI", Secret: ciExportKey,
		Settings: map[string]string{"ci_client_id": "194"}})
	if err != nil || v.Status != integration.StatusDegraded || v.Problem == nil || v.Problem.Code != "problem.ci_timezone_needed" ||
		!strings.Contains(v.Problem.Params["zones"], "Asia/Shanghai") {
		t.Fatalf("CST: %s %+v %v; want degraded asking for a zone among Chicago, Shanghai, Havana", v.Status, v.Problem, err)
	}
	if v.LastUpdate == nil || !v.LastUpdate.EndAt.IsZero() {
		t.Errorf("an unplaced time was turned into an instant: %+v", v.LastUpdate)
	}
	got, err := s.Update(ctx, v.ID, "MBI", map[string]string{"ci_client_id": "194", "timezone": "Asia/Shanghai"})
	if err != nil || got.Status != integration.StatusConnected || got.LastUpdate == nil ||
		!got.LastUpdate.EndAt.Equal(time.Date(2025, 12, 10, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("zone chosen: %s %+v %v; want connected with the end at 01:00 UTC", got.Status, got.LastUpdate, err)
	}
}

func TestCommerceIntelligenceDataImportKey(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	twin := twins.NewCommerceIntelligence(194, ciExportKey, ciImportKey)
	s.probe = twinClient(twin)
	if _, err := s.Add(ctx, AddRequest{Provider: "commerce-intelligence-import", Name: "Import", Secret: "twin-import-key-two",
		Settings: map[string]string{"ci_client_id": "194"}}); err == nil {
		t.Fatalf("a wrong Data Import API key was accepted")
	}
	v, err := s.Add(ctx, AddRequest{Provider: "commerce-intelligence-import", Name: "Import", Secret: ciImportKey,
		Settings: map[string]string{"ci_client_id": "194"}})
	if err != nil || v.Status != integration.StatusConnected {
		t.Fatalf("add: %s %v", v.Status, err)
	}
	twin.SetKeys(ciExportKey, "twin-import-key-two")
	vs, err := s.Check(ctx, v.ID)
	if err != nil || vs[0].Status != integration.StatusNeedsReauth {
		t.Fatalf("after the key was replaced: %+v %v; want needs_reauth", vs, err)
	}
}
