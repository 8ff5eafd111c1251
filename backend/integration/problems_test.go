package integration

import "testing"

func TestRepairMapping(t *testing.T) {
	p := NewProblem
	for _, tc := range []struct {
		name      string
		s         Status
		c         Cause
		p         *Problem
		reauth    bool
		elsewhere bool
	}{
		{"expired token", StatusNeedsReauth, CauseTokenExpired, p("problem.token_expired"), true, false},
		{"rejected key", StatusNeedsReauth, CauseAccessRevoked, p("problem.api_key_rejected"), true, false},
		{"scopes reduced", StatusDegraded, CauseAccountChange, p("problem.privileges_reduced"), true, false},
		{"API disabled by an admin", StatusError, CauseAccountChange, p("problem.api_disabled"), false, true},
		{"OAuth client deleted", StatusError, CauseLocalProblem, p("problem.oauth_client_invalid"), false, true},
		{"keychain locked", StatusError, CauseLocalProblem, p("problem.keychain_locked"), false, false},
		{"outage", StatusError, CauseProviderIssue, p("problem.provider_outage"), false, false},
		{"healthy", StatusConnected, CauseNone, nil, false, false},
	} {
		if got := Reauthorizable(tc.s, tc.c, tc.p); got != tc.reauth {
			t.Errorf("%s: Reauthorizable = %v; want %v", tc.name, got, tc.reauth)
		}
		if got := FixedElsewhere(tc.s, tc.c, tc.p); got != tc.elsewhere {
			t.Errorf("%s: FixedElsewhere = %v; want %v", tc.name, got, tc.elsewhere)
		}
	}
}

// TestProblemOutcomesFollowTheOneMapping: the status goes with the cause
// as issue 16 sets it out.
func TestProblemOutcomesFollowTheOneMapping(t *testing.T) {
	allowed := map[Cause][]Status{
		CauseTokenExpired:  {StatusNeedsReauth},
		CauseAccessRevoked: {StatusNeedsReauth},
		CauseAccountChange: {StatusNeedsReauth, StatusDegraded, StatusError},
		CauseLocalProblem:  {StatusError},
		CauseProviderIssue: {StatusError},
	}
	for code, o := range problemOutcomes {
		ok := false
		for _, s := range allowed[o.Cause] {
			ok = ok || s == o.Status
		}
		if !ok {
			t.Errorf("%s: %s with %s is outside the mapping", code, o.Status, o.Cause)
		}
	}
}
