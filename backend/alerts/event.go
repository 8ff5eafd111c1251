// Package alerts tells a team, not only the person at this desk: it turns
// the coalesced break/recovery/expiring news into messages for Slack,
// Microsoft Teams or any JSON receiver, queued in a persistent outbox and
// delivered in order with retries, and it manages the destinations, whose
// webhook URLs (they grant posting) live in the keychain.
package alerts

import (
	"time"

	"relink/backend/integration"
	"relink/backend/notify"
)

// Schema names the generic JSON payload's version; a receiver can rely on
// its fields until the version changes. README "For teams" documents it.
const Schema = "relink.alert.v1"

// Kind says what happened to every integration in an event.
type Kind string

const (
	KindBroken    Kind = "broken"
	KindRecovered Kind = "recovered"
	KindExpiring  Kind = "expiring"
	// KindTest is the sample `relink alerts test` and Settings send.
	KindTest Kind = "test"
)

// Event is one message: one kind of news about one or more integrations
// from one coalescing window. It is language-neutral (codes, not
// sentences) and holds no secret; it is what the JSON format sends as is.
type Event struct {
	Schema       string        `json:"schema"`
	Kind         Kind          `json:"kind"`
	Time         time.Time     `json:"time"`
	Integrations []Integration `json:"integrations"`
}

// Integration is one integration's change in an Event.
type Integration struct {
	ID           string               `json:"id"`
	Name         string               `json:"name"`
	Provider     string               `json:"provider"`
	ProviderName string               `json:"providerName"`
	OldStatus    integration.Status   `json:"oldStatus"`
	NewStatus    integration.Status   `json:"newStatus"`
	Cause        integration.Cause    `json:"cause,omitempty"`
	Problem      *integration.Problem `json:"problem,omitempty"`
	Time         time.Time            `json:"time"`
	// ExpiresAt is when access ends without a repair (expiring news).
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	// Link opens Relink on this integration's repair.
	Link string `json:"link"`
}

// Link returns the relink:// URL that opens the window on integration id.
func Link(id string) string { return "relink://open/" + id }

// Events groups a window's news into one event per kind, breaks first,
// so a burst of ten breaks is one message. providerName maps a provider id
// to its display name.
func Events(items []notify.Item, at time.Time, providerName func(string) string) []Event {
	order := []notify.Change{notify.Broke, notify.Recovered, notify.Expiring}
	kinds := map[notify.Change]Kind{notify.Broke: KindBroken, notify.Recovered: KindRecovered, notify.Expiring: KindExpiring}
	var out []Event
	for _, ch := range order {
		ev := Event{Schema: Schema, Kind: kinds[ch], Time: at.UTC()}
		for _, it := range items {
			if it.Change != ch {
				continue
			}
			in := it.Integration
			when := it.At
			if when.IsZero() {
				when = at
			}
			e := Integration{
				ID: in.ID, Name: in.Name, Provider: in.Provider, ProviderName: providerName(in.Provider),
				OldStatus: it.From, NewStatus: it.To, Time: when.UTC(), Link: Link(in.ID),
			}
			if ch != notify.Recovered {
				e.Cause, e.Problem = in.Cause, in.Problem
			}
			if ch == notify.Expiring {
				if t := expiry(in); !t.IsZero() {
					e.ExpiresAt = &t
				}
			}
			ev.Integrations = append(ev.Integrations, e)
		}
		if len(ev.Integrations) > 0 {
			out = append(out, ev)
		}
	}
	return out
}

// expiry is the hard end of access that no refresh can extend: what
// makes an integration "expiring" (integration.EffectiveStatus).
func expiry(in integration.Integration) time.Time {
	if in.Expiry.RefreshExpiresAt.IsZero() {
		return time.Time{}
	}
	return in.Expiry.RefreshExpiresAt.UTC()
}
