package services

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"relink/backend/catalog"
	"relink/backend/health"
	"relink/backend/integration"
)

// Commerce Intelligence's own health is its last completed data update,
// read from the Update Cycle Status API:
// https://developer.adobe.com/commerce/services/reporting/update-cycle/

// defaultStaleHours is how old the last completed update may be before
// the integration is degraded, unless the user sets stale_hours.
const defaultStaleHours = 36

// updateRecord is the last Update Cycle Status answer and when Relink last
// asked, kept beside the integration (no secret in it).
type updateRecord struct {
	ProbedAt time.Time           `json:"probedAt"`
	Answer   *health.UpdateCycle `json:"answer,omitempty"`
	// FetchedAt is when Answer arrived.
	FetchedAt time.Time `json:"fetchedAt"`
	// Failed means the last call got no answer (403, 429, network): the
	// older Answer must not stand in for it.
	Failed bool `json:"failed,omitempty"`
}

func updateKey(id string) string { return "ci.update." + id }

func readsUpdateCycle(p catalog.Provider) bool {
	return p.Probe != nil && p.Probe.Interpret == catalog.InterpretUpdateCycle
}

func updateSettings(st map[string]string) health.UpdateCycleSettings {
	hours, err := strconv.Atoi(st["stale_hours"])
	if err != nil || hours <= 0 {
		hours = defaultStaleHours
	}
	return health.UpdateCycleSettings{Zone: st["timezone"], StaleAfter: time.Duration(hours) * time.Hour}
}

func (s *Service) loadUpdate(ctx context.Context, id string) updateRecord {
	var rec updateRecord
	if raw, ok, err := s.store.Setting(ctx, updateKey(id)); err == nil && ok {
		_ = json.Unmarshal([]byte(raw), &rec)
	}
	return rec
}

func (s *Service) saveUpdate(ctx context.Context, id string, rec *updateRecord) {
	if rec == nil {
		return
	}
	if b, err := json.Marshal(rec); err == nil {
		_ = s.store.SetSetting(ctx, updateKey(id), string(b))
	}
}

// lastUpdateView is what the detail panel shows of the last answer, read
// with the integration's current settings (a corrected zone shows at once).
func (s *Service) lastUpdateView(in integration.Integration) *health.UpdateCycleView {
	rec := s.loadUpdate(context.Background(), in.ID)
	if rec.Answer == nil {
		return nil
	}
	_, view := health.ClassifyUpdateCycle(health.Observation{StatusCode: 200, Now: rec.FetchedAt}, rec.Answer, updateSettings(in.Settings), s.clock.Now())
	return view
}

// probeUpdateCycle checks Commerce Intelligence. Adobe recommends at least
// 60 seconds between calls per client (update-cycle page, "Polling
// frequency"), which the catalogue's minInterval says. With throttle
// (scheduled and "Check now" checks), a call within that interval of the
// last one is not made: the last answer is read again with the
// current time and settings, so staleness still grows and a corrected
// zone still counts. A new key (add, reauthorize) is always tried.
func (s *Service) probeUpdateCycle(ctx context.Context, in integration.Integration, p catalog.Provider, key string, throttle bool) probeResult {
	now := s.clock.Now()
	rec := s.loadUpdate(ctx, in.ID)
	cfg := updateSettings(in.Settings)
	if throttle && p.MinInterval > 0 && !rec.ProbedAt.IsZero() && now.Sub(rec.ProbedAt) < time.Duration(p.MinInterval) {
		if rec.Answer == nil || rec.Failed {
			// The last call failed: nothing new is known until the next.
			return probeResult{verdict: health.Verdict{Status: in.Status, Cause: in.Cause, Problem: in.Problem}}
		}
		o := health.Observation{StatusCode: 200, Now: rec.FetchedAt, Account: strconv.Itoa(rec.Answer.ClientID)}
		v, _ := health.ClassifyUpdateCycle(o, rec.Answer, cfg, now)
		return probeResult{verdict: v, obs: o}
	}
	req, err := s.probeRequest(p, in.Settings, "", key)
	if err != nil {
		return errResult(err)
	}
	o, uc := health.ProbeUpdateCycle(ctx, s.probe, req)
	v, _ := health.ClassifyUpdateCycle(o, uc, cfg, now)
	rec.ProbedAt, rec.Failed = now.UTC(), uc == nil
	if uc != nil {
		rec.Answer, rec.FetchedAt = uc, now.UTC()
	}
	return probeResult{verdict: v, obs: o, update: &rec}
}
