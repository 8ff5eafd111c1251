package health

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"relink/backend/integration"
)

// Commerce Intelligence's Update Cycle Status API, as documented at
// https://developer.adobe.com/commerce/services/reporting/update-cycle/
// (GET https://api.rjmetrics.com/0.1/client/<clientId>/fullupdatestatus
// with the Export API key in X-RJM-API-Key).

// UpdateCycle is the API's answer.
type UpdateCycle struct {
	ClientID int `json:"clientId"`
	// Last is the most recent completed update; null when there is none.
	Last *UpdateJob `json:"lastCompletedUpdateJob"`
	// TimezoneAbbreviation names the zone of Start and End ("EST").
	TimezoneAbbreviation string `json:"timezoneAbbreviation"`
}

// UpdateJob is one completed update.
type UpdateJob struct {
	ID     int64      `json:"id"`
	Type   namedValue `json:"type"`
	Start  string     `json:"start"`
	End    string     `json:"end"`
	Status namedValue `json:"status"`
}

type namedValue struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// updateTimeLayout is the documented "YYYY-MM-DD HH:mm:ss", in the
// client's zone (no offset in the text).
const updateTimeLayout = "2006-01-02 15:04:05"

// completedSuccessfully is the documented terminal status
// {"id": 4, "name": "Completed Successfully"}.
const completedSuccessfully = 4

var errBadZone = errors.New("not an IANA time zone")

// UpdateCycleSettings are the user's choices for reading the answer.
type UpdateCycleSettings struct {
	// Zone is an IANA zone overriding the abbreviation ("" = use it).
	Zone string
	// StaleAfter is how old the last completed update may be.
	StaleAfter time.Duration
}

// UpdateCycleView is the last completed update as the detail panel shows
// it: the provider's own words and times, plus the zone Relink read them
// in and the end as an instant when that zone is known.
type UpdateCycleView struct {
	Type         string    `json:"type"`
	Status       string    `json:"status"`
	Start        string    `json:"start"`
	End          string    `json:"end"`
	Abbreviation string    `json:"abbreviation"`
	Zone         string    `json:"zone,omitempty"`
	EndAt        time.Time `json:"endAt,omitzero"`
	Succeeded    bool      `json:"succeeded"`
	FetchedAt    time.Time `json:"fetchedAt"`
}

// ProbeUpdateCycle calls the Update Cycle Status API and parses a 2xx
// answer; uc is nil for any other answer.
func ProbeUpdateCycle(ctx context.Context, client *http.Client, r HTTPRequest) (Observation, *UpdateCycle) {
	o, body := probeHTTP(ctx, client, r)
	if o.Err != nil || o.StatusCode < 200 || o.StatusCode > 299 {
		return o, nil
	}
	var uc UpdateCycle
	if err := json.Unmarshal(body, &uc); err != nil || uc.ClientID == 0 {
		// A 2xx that is not the documented answer: the provider's problem.
		o.StatusCode = 0
		o.Err = errUnexpectedAnswer
		return o, nil
	}
	o.Account = strconv.Itoa(uc.ClientID)
	return o, &uc
}

var errUnexpectedAnswer = integration.NewError(errors.New("unexpected answer"), nil, "problem.ci_unexpected_answer")

// ClassifyUpdateCycle reads what the Update Cycle Status API said. uc is
// the parsed 2xx answer (nil otherwise); now is the current instant.
func ClassifyUpdateCycle(o Observation, uc *UpdateCycle, s UpdateCycleSettings, now time.Time) (Verdict, *UpdateCycleView) {
	switch {
	case errors.Is(o.Err, errUnexpectedAnswer):
		return v(integration.StatusError, integration.CauseProviderIssue, "problem.ci_unexpected_answer"), nil
	case o.Err == nil && o.StatusCode == http.StatusForbidden:
		// The API answers 403 for a missing or invalid key, a key without
		// access to the client, an unknown client id and a malformed
		// request alike (update-cycle page, "Error responses"); keys are
		// also bound to allowed IP addresses (reporting API index,
		// "Generating authentication token for the export API").
		return v(integration.StatusNeedsReauth, integration.CauseAccountChange, "problem.ci_forbidden"), nil
	case uc == nil:
		// 429 (rate limit), 5xx, network: the generic rules.
		return Classify(o), nil
	}
	if uc.Last == nil {
		return v(integration.StatusDegraded, integration.CauseProviderIssue, "problem.ci_no_update"), nil
	}
	job := uc.Last
	view := &UpdateCycleView{Type: job.Type.Name, Status: job.Status.Name, Start: job.Start, End: job.End,
		Abbreviation: uc.TimezoneAbbreviation, Succeeded: job.Status.ID == completedSuccessfully, FetchedAt: o.Now.UTC()}
	if !view.Succeeded {
		return v(integration.StatusDegraded, integration.CauseProviderIssue, "problem.ci_update_failed",
			"type", job.Type.Name, "status", job.Status.Name, "end", job.End+" "+uc.TimezoneAbbreviation), view
	}
	zone, err := ResolveZone(s.Zone, uc.TimezoneAbbreviation)
	switch {
	case err != nil:
		return v(integration.StatusDegraded, integration.CauseLocalProblem, "problem.ci_timezone_invalid", "zone", s.Zone), view
	case zone.Location == nil && len(zone.Candidates) == 0:
		return v(integration.StatusDegraded, integration.CauseLocalProblem, "problem.ci_timezone_unknown",
			"abbreviation", uc.TimezoneAbbreviation), view
	case zone.Location == nil:
		// Never read them as UTC: ask which zone the abbreviation means.
		return v(integration.StatusDegraded, integration.CauseLocalProblem, "problem.ci_timezone_needed",
			"abbreviation", uc.TimezoneAbbreviation, "zones", strings.Join(zone.Candidates, ", ")), view
	}
	view.Zone = zone.Name
	end, err := time.ParseInLocation(updateTimeLayout, job.End, zone.Location)
	if err != nil {
		return v(integration.StatusError, integration.CauseProviderIssue, "problem.ci_unexpected_answer"), view
	}
	view.EndAt = end.UTC()
	age := now.Sub(end)
	switch {
	case age < -time.Hour:
		// An update that ends in the future: the zone is wrong.
		return v(integration.StatusDegraded, integration.CauseLocalProblem, "problem.ci_time_ahead",
			"end", job.End, "zone", zone.Name), view
	case age > s.StaleAfter:
		return v(integration.StatusDegraded, integration.CauseProviderIssue, "problem.ci_update_stale",
			"end", job.End+" "+uc.TimezoneAbbreviation, "hours", strconv.Itoa(int(age.Hours())),
			"threshold", strconv.Itoa(int(s.StaleAfter.Hours()))), view
	}
	return Verdict{Status: integration.StatusConnected}, view
}
