package health

import (
	"testing"
	"time"

	"relink/backend/integration"
)

// answer is an Update Cycle Status answer shaped like the documented
// sample (https://developer.adobe.com/commerce/services/reporting/update-cycle/).
func answer(end, abbr string, statusID int, statusName string) *UpdateCycle {
	return &UpdateCycle{ClientID: 194, TimezoneAbbreviation: abbr, Last: &UpdateJob{ID: 13554,
		Type: namedValue{2, "Full Update"}, Start: "2025-12-09 03:26:25", End: end, Status: namedValue{statusID, statusName}}}
}

func TestClassifyUpdateCycle(t *testing.T) {
	ok200 := Observation{StatusCode: 200}
	day := UpdateCycleSettings{StaleAfter: 36 * time.Hour}
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	cases := []struct {
		name       string
		o          Observation
		uc         *UpdateCycle
		s          UpdateCycleSettings
		now        time.Time
		wantStatus integration.Status
		wantCode   string
	}{
		{"fresh", ok200, answer("2025-12-09 03:29:03", "EST", 4, "Completed Successfully"), day, utc("2025-12-09T12:00:00Z"), integration.StatusConnected, ""},
		// 03:29 EST is 08:29 UTC: 32.5 h before now. Read as UTC it would
		// be 37.5 h: stale by mistake.
		{"EST is not UTC (fresh)", ok200, answer("2025-12-09 03:29:03", "EST", 4, "Completed Successfully"), day, utc("2025-12-10T17:00:00Z"), integration.StatusConnected, ""},
		// 10:00 JST is 01:00 UTC: 37 h before now. Read as UTC, 28 h: fresh
		// by mistake.
		{"JST is not UTC (stale)", ok200, answer("2025-12-10 10:00:00", "JST", 4, "Completed Successfully"), day, utc("2025-12-11T14:00:00Z"), integration.StatusDegraded, "problem.ci_update_stale"},
		{"stale", ok200, answer("2025-12-01 03:29:03", "EST", 4, "Completed Successfully"), day, utc("2025-12-09T12:00:00Z"), integration.StatusDegraded, "problem.ci_update_stale"},
		{"threshold is the user's", ok200, answer("2025-12-01 03:29:03", "EST", 4, "Completed Successfully"), UpdateCycleSettings{StaleAfter: 400 * time.Hour}, utc("2025-12-09T12:00:00Z"), integration.StatusConnected, ""},
		{"failed update", ok200, answer("2025-12-09 03:29:03", "EST", 5, "Failed"), day, utc("2025-12-09T12:00:00Z"), integration.StatusDegraded, "problem.ci_update_failed"},
		{"no completed update", ok200, &UpdateCycle{ClientID: 194, TimezoneAbbreviation: "EST"}, day, utc("2025-12-09T12:00:00Z"), integration.StatusDegraded, "problem.ci_no_update"},
		{"ambiguous abbreviation", ok200, answer("2025-12-09 03:29:03", "CST", 4, "Completed Successfully"), day, utc("2025-12-09T12:00:00Z"), integration.StatusDegraded, "problem.ci_timezone_needed"},
		{"unknown abbreviation", ok200, answer("2025-12-09 03:29:03", "XYZT", 4, "Completed Successfully"), day, utc("2025-12-09T12:00:00Z"), integration.StatusDegraded, "problem.ci_timezone_unknown"},
		{"user zone settles the ambiguity", ok200, answer("2025-12-09 03:29:03", "CST", 4, "Completed Successfully"), UpdateCycleSettings{Zone: "America/Chicago", StaleAfter: 36 * time.Hour}, utc("2025-12-09T12:00:00Z"), integration.StatusConnected, ""},
		{"user zone that does not exist", ok200, answer("2025-12-09 03:29:03", "EST", 4, "Completed Successfully"), UpdateCycleSettings{Zone: "Mars/Olympus", StaleAfter: 36 * time.Hour}, utc("2025-12-09T12:00:00Z"), integration.StatusDegraded, "problem.ci_timezone_invalid"},
		{"numeric abbreviation", ok200, answer("2025-12-09 03:29:03", "+08", 4, "Completed Successfully"), day, utc("2025-12-09T12:00:00Z"), integration.StatusConnected, ""},
		{"end in the future: wrong zone", ok200, answer("2025-12-09 23:00:00", "EST", 4, "Completed Successfully"), day, utc("2025-12-09T12:00:00Z"), integration.StatusDegraded, "problem.ci_time_ahead"},
		{"403", Observation{StatusCode: 403}, nil, day, utc("2025-12-09T12:00:00Z"), integration.StatusNeedsReauth, "problem.ci_forbidden"},
		{"429", Observation{StatusCode: 429, RetryAfter: "60"}, nil, day, utc("2025-12-09T12:00:00Z"), integration.StatusError, "problem.rate_limited"},
		{"503", Observation{StatusCode: 503}, nil, day, utc("2025-12-09T12:00:00Z"), integration.StatusError, "problem.provider_outage"},
		{"not the documented answer", Observation{Err: errUnexpectedAnswer}, nil, day, utc("2025-12-09T12:00:00Z"), integration.StatusError, "problem.ci_unexpected_answer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := ClassifyUpdateCycle(tc.o, tc.uc, tc.s, tc.now)
			code := ""
			if got.Problem != nil {
				code = got.Problem.Code
			}
			if got.Status != tc.wantStatus || code != tc.wantCode {
				t.Errorf("ClassifyUpdateCycle = %s %q; want %s %q", got.Status, code, tc.wantStatus, tc.wantCode)
			}
			if got.Cause == integration.CauseAppProblem {
				t.Errorf("blamed on Relink: %+v", got)
			}
		})
	}
}

func TestUpdateCycleViewReadsTimesInTheClientZone(t *testing.T) {
	now := time.Date(2025, 12, 9, 12, 0, 0, 0, time.UTC)
	_, view := ClassifyUpdateCycle(Observation{StatusCode: 200, Now: now}, answer("2025-12-09 03:29:03", "EST", 4, "Completed Successfully"),
		UpdateCycleSettings{StaleAfter: time.Hour * 36}, now)
	want := time.Date(2025, 12, 9, 8, 29, 3, 0, time.UTC)
	if view == nil || !view.EndAt.Equal(want) || view.Zone != "America/New_York" || view.End != "2025-12-09 03:29:03" ||
		view.Type != "Full Update" || view.Status != "Completed Successfully" || !view.Succeeded {
		t.Fatalf("view = %+v; want the end at %s read in America/New_York", view, want)
	}
}

func TestResolveZone(t *testing.T) {
	cases := []struct {
		user, abbr string
		wantZone   string
		wantChoice int
		wantErr    bool
	}{
		{"", "EST", "America/New_York", 0, false},
		{"", "edt", "America/New_York", 0, false},
		{"", "CST", "", 3, false},
		{"", "IST", "", 3, false},
		{"", "XYZT", "", 0, false},
		{"Asia/Kolkata", "IST", "Asia/Kolkata", 0, false},
		{"Local", "EST", "", 0, true},
		{"", "-0330", "-0330", 0, false},
	}
	for _, tc := range cases {
		got, err := ResolveZone(tc.user, tc.abbr)
		if (err != nil) != tc.wantErr || got.Name != tc.wantZone || len(got.Candidates) != tc.wantChoice {
			t.Errorf("ResolveZone(%q, %q) = %+v, %v; want %q with %d choices (err %v)", tc.user, tc.abbr, got, err, tc.wantZone, tc.wantChoice, tc.wantErr)
		}
	}
	z, _ := ResolveZone("", "-0330")
	if _, off := time.Date(2025, 1, 1, 0, 0, 0, 0, z.Location).Zone(); off != -(3*3600 + 30*60) {
		t.Errorf("-0330 offset = %d s", off)
	}
}

func TestEveryTableZoneLoads(t *testing.T) {
	for abbr, zones := range zoneAbbreviations {
		for _, z := range zones {
			if _, err := time.LoadLocation(z); err != nil {
				t.Errorf("%s → %s: %v", abbr, z, err)
			}
		}
	}
}
