package e2e

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"relink/backend/internal/twins"
)

// TestCommerceIntelligenceThroughTheProxy drives the real binary against
// the Commerce Intelligence twin under its real host name (HTTPS_PROXY +
// SSL_CERT_FILE), one documented answer per case
// (https://developer.adobe.com/commerce/services/reporting/update-cycle/):
// each case adds a fresh integration, since Relink asks the Update Cycle
// Status API at most once a minute per integration.
func TestCommerceIntelligenceThroughTheProxy(t *testing.T) {
	needRig(t)
	build(t)
	const key = "ci-e2e-export-key-0123456789"
	rig := twins.Start(t)
	ci := twins.NewCommerceIntelligence(194, key, "")
	rig.Mount(onlyHosts{ci, []string{"api.rjmetrics.com"}})
	env := append(append(os.Environ(), rig.Env()...), "LANG=en_US.UTF-8", "LC_ALL=")
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	ended := func(ago time.Duration, statusID int, status string) *twins.UpdateJob {
		end := time.Now().Add(-ago).In(ny)
		return &twins.UpdateJob{ID: 1, TypeID: 2, TypeName: "Full Update", Start: end.Add(-3 * time.Minute).Format(time.DateTime),
			End: end.Format(time.DateTime), StatusID: statusID, StatusName: status}
	}
	tests := []struct {
		name    string
		set     func()
		code    int
		status  string
		problem string // in --json, or the sentence's start on stderr when add refuses
	}{
		{"fresh update", func() { ci.SetLastUpdate(ended(2*time.Hour, 4, "Completed Successfully"), "EST") }, 0, "connected", ""},
		{"stale update", func() { ci.SetLastUpdate(ended(40*time.Hour, 4, "Completed Successfully"), "EST") }, 3, "degraded", "problem.ci_update_stale"},
		{"failed update", func() { ci.SetLastUpdate(ended(time.Hour, 5, "Failed"), "EST") }, 3, "degraded", "problem.ci_update_failed"},
		{"403: key, client or allow-list", func() {
			ci.SetLastUpdate(ended(time.Hour, 4, "Completed Successfully"), "EST")
			ci.Block(true)
		}, -1, "", "Commerce Intelligence refused the request (HTTP 403)"},
		{"429: rate limited", func() { ci.Block(false); ci.RateLimit(true) }, -1, "", "The provider is rate limiting requests"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.set()
			r := twinCLI(t, env, t.TempDir(), key+"\n", "add", "commerce-intelligence", "--name", "MBI",
				"--set", "ci_client_id=194", "--set", "timezone=America/New_York", "--secret-stdin", "--json")
			if tt.code < 0 {
				// The key could not be verified: nothing is saved and the
				// answer is the provider's, said once.
				if r.code == 0 || r.code == 3 || !strings.Contains(r.stderr, tt.problem) || strings.Contains(r.stderr, "inside Relink") {
					t.Errorf("add = %d\nstderr: %s\nwant a refusal saying %q", r.code, r.stderr, tt.problem)
				}
				return
			}
			var v struct {
				Status  string
				Problem *struct{ Code string }
			}
			if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
				t.Fatalf("add = %d: %v\nstdout: %s\nstderr: %s", r.code, err, r.stdout, r.stderr)
			}
			code := ""
			if v.Problem != nil {
				code = v.Problem.Code
			}
			if r.code != tt.code || v.Status != tt.status || code != tt.problem {
				t.Errorf("add = %d %s %q; want %d %s %q\nstderr: %s", r.code, v.Status, code, tt.code, tt.status, tt.problem, r.stderr)
			}
		})
	}
	if un := rig.Unrouted(); len(un) > 0 {
		t.Errorf("Relink reached hosts no twin serves: %v", un)
	}
}
