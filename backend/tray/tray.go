// Package tray shows Relink's state in the system tray. Build is a pure
// function from a Summary of all integrations to a Model (icon, tooltip,
// menu); a per-OS adapter puts a Model on screen and reports clicks. Every
// change rebuilds the whole Model, so there is no per-item bookkeeping to
// get out of step.
package tray

import (
	"strconv"
	"strings"

	"relink/backend/integration"
)

// IconState names which tray icon is shown.
type IconState string

const (
	IconHealthy  IconState = "healthy"
	IconWarning  IconState = "warning"  // expiring soon or degraded
	IconBroken   IconState = "broken"   // needs reauthorization or failing
	IconChecking IconState = "checking" // a check is running and nothing is broken
	IconOffline  IconState = "offline"
	IconPaused   IconState = "paused"
)

// AllIconStates lists every icon state; each has an embedded image.
var AllIconStates = []IconState{IconHealthy, IconWarning, IconBroken, IconChecking, IconOffline, IconPaused}

// Action is what a menu click asks the app to do.
type Action string

const (
	// ActionReauthorize opens the integration's repair flow (OAuth, new
	// API key or database credentials, whichever its kind needs).
	ActionReauthorize Action = "reauthorize"
	// ActionDetails opens the integration's details, which say what to do
	// when new credentials would not help (an outage, an admin setting,
	// the user's OAuth app).
	ActionDetails  Action = "details"
	ActionOpen     Action = "open"
	ActionCheckAll Action = "check_all"
	ActionPause    Action = "pause"
	ActionResume   Action = "resume"
	ActionQuit     Action = "quit"
)

// Item is one integration as the tray sees it.
type Item struct {
	ID     string
	Name   string
	Status integration.Status
	// Reauthorize says new credentials repair it (integration.Reauthorizable).
	Reauthorize bool
}

// Summary is everything the tray shows.
type Summary struct {
	Items    []Item
	Paused   bool // monitoring is paused for all integrations
	Offline  bool // no network, so checks cannot run
	Checking bool // a "check all" is running
	// Rechecking counts items whose background check failed once and is
	// being repeated before the failure is believed.
	Rechecking int
	// CannotSave means Relink cannot save its data (full disk, read-only
	// folder…): the app itself needs attention, whatever the items say.
	CannotSave bool
	// Lang is the user's language, in which names are ordered.
	Lang string
}

// MenuItem is one menu row. IDs are stable across rebuilds so a test or a
// screen reader can find the same row again.
type MenuItem struct {
	ID            string
	Label         string
	Action        Action
	IntegrationID string
	Separator     bool
	Disabled      bool
}

// Model is what the tray shows.
type Model struct {
	Icon    IconState
	Tooltip string
	Menu    []MenuItem
}

// Translator renders message keys in the user's language; Plural picks the
// key's ".one" or ".other" form and sets {count}. backend/i18n.Translator
// satisfies it.
type Translator interface {
	T(key string, params map[string]string) string
	Plural(key string, n int, params map[string]string) string
}

// MaxAttentionItems caps the per-integration rows so a bad day does not
// produce a menu taller than the screen; the rest are reached through one
// "more" row that opens the window.
const MaxAttentionItems = 8

// Build maps a Summary to the tray Model. Global states rank first
// (paused, then offline, because the per-integration statuses are stale
// then), then the worst integration status.
func Build(s Summary, tr Translator) Model {
	attention := needingAttention(s.Items, s.Lang)
	worst := integration.StatusConnected
	for _, it := range s.Items {
		if it.Status != integration.StatusPaused {
			worst = integration.Worst(worst, it.Status)
		}
	}
	return Model{
		Icon:    icon(s, worst),
		Tooltip: tooltip(s, tr),
		Menu:    menu(s, attention, tr),
	}
}

func icon(s Summary, worst integration.Status) IconState {
	sev := integration.Severity(worst)
	switch {
	case s.CannotSave:
		return IconBroken
	case s.Paused:
		return IconPaused
	case s.Offline:
		return IconOffline
	case sev >= integration.Severity(integration.StatusError):
		return IconBroken
	case s.Checking || worst == integration.StatusChecking:
		return IconChecking
	case sev >= integration.Severity(integration.StatusExpiring):
		return IconWarning
	}
	return IconHealthy
}

// tooltipCounts are the per-status sentences, most severe first.
var tooltipCounts = []struct {
	status integration.Status
	key    string
}{
	{integration.StatusNeedsReauth, "tray.tooltip.needs_reauth"},
	{integration.StatusError, "tray.tooltip.error"},
	{integration.StatusDegraded, "tray.tooltip.degraded"},
	{integration.StatusExpiring, "tray.tooltip.expiring"},
}

func tooltip(s Summary, tr Translator) string {
	var lines []string
	if s.CannotSave {
		lines = append(lines, tr.T("tray.tooltip.cannot_save", nil))
	}
	switch {
	case s.Paused:
		lines = append(lines, tr.T("tray.tooltip.paused", nil))
	case s.Offline:
		lines = append(lines, tr.T("tray.tooltip.offline", nil))
	}
	counts := map[integration.Status]int{}
	unknown := 0
	for _, it := range s.Items {
		if it.Status.Valid() {
			counts[it.Status]++
		} else {
			unknown++
		}
	}
	// An unknown status is shown as an error so it is never hidden.
	counts[integration.StatusError] += unknown
	for _, c := range tooltipCounts {
		if n := counts[c.status]; n > 0 {
			lines = append(lines, tr.Plural(c.key, n, nil))
		}
	}
	if s.Rechecking > 0 {
		lines = append(lines, tr.Plural("tray.tooltip.rechecking", s.Rechecking, nil))
	}
	if len(lines) > 0 {
		return strings.Join(lines, "\n")
	}
	switch {
	case s.Checking || counts[integration.StatusChecking] > 0:
		return tr.T("tray.tooltip.checking", nil)
	case len(s.Items) == 0:
		return tr.T("tray.tooltip.empty", nil)
	}
	return tr.Plural("tray.tooltip.healthy", len(s.Items), nil)
}

// needingAttention returns the items the user should act on in the order
// every list shows them.
func needingAttention(items []Item, lang string) []Item {
	var out []Item
	for _, it := range items {
		if integration.NeedsAttention(it.Status) {
			out = append(out, it)
		}
	}
	integration.SortByAttention(out, lang, func(it Item) (integration.Status, string) { return it.Status, it.Name })
	return out
}

func menu(s Summary, attention []Item, tr Translator) []MenuItem {
	var m []MenuItem
	shown := attention
	if len(attention) > MaxAttentionItems {
		shown = attention[:MaxAttentionItems-1]
	}
	for _, it := range shown {
		key, action := "tray.menu.reauthorize", ActionReauthorize
		if it.Status == integration.StatusError || it.Status == integration.StatusDegraded || !it.Status.Valid() {
			key = "tray.menu.fix"
		}
		if !it.Reauthorize {
			action = ActionDetails
		}
		m = append(m, MenuItem{
			ID:            "reauth:" + it.ID,
			Label:         tr.T(key, map[string]string{"name": it.Name}),
			Action:        action,
			IntegrationID: it.ID,
		})
	}
	if rest := len(attention) - len(shown); rest > 0 {
		m = append(m, MenuItem{
			ID:     "more",
			Label:  tr.Plural("tray.menu.more", rest, nil),
			Action: ActionOpen,
		})
	}
	if len(m) > 0 {
		m = append(m, separator(1))
	}
	check := MenuItem{ID: "check_all", Label: tr.T("tray.menu.check_all", nil), Action: ActionCheckAll}
	if s.Checking {
		check.Label, check.Disabled = tr.T("tray.menu.checking", nil), true
	}
	pause := MenuItem{ID: "pause", Label: tr.T("tray.menu.pause", nil), Action: ActionPause}
	if s.Paused {
		pause = MenuItem{ID: "resume", Label: tr.T("tray.menu.resume", nil), Action: ActionResume}
	}
	return append(m,
		MenuItem{ID: "open", Label: tr.T("tray.menu.open", nil), Action: ActionOpen},
		check,
		pause,
		separator(2),
		MenuItem{ID: "quit", Label: tr.T("tray.menu.quit", nil), Action: ActionQuit},
	)
}

func separator(n int) MenuItem {
	return MenuItem{ID: "sep:" + strconv.Itoa(n), Separator: true}
}
