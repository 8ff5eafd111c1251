package tray

import (
	"fmt"
	"reflect"
	"testing"

	"relink/backend/integration"
	"relink/backend/internal/testrig"
)

func items(statuses ...integration.Status) []Item {
	out := make([]Item, len(statuses))
	for i, s := range statuses {
		out[i] = Item{ID: fmt.Sprintf("id-%d", i), Name: fmt.Sprintf("Name %d", i), Status: s}
	}
	return out
}

const (
	connected   = integration.StatusConnected
	expiring    = integration.StatusExpiring
	needsReauth = integration.StatusNeedsReauth
	failing     = integration.StatusError
	degraded    = integration.StatusDegraded
	checking    = integration.StatusChecking
	paused      = integration.StatusPaused
)

func TestBuildIconAndTooltip(t *testing.T) {
	tests := []struct {
		name        string
		in          Summary
		wantIcon    IconState
		wantTooltip string
	}{
		{"no integrations", Summary{}, IconHealthy, "No integrations yet"},
		{"one healthy", Summary{Items: items(connected)}, IconHealthy, "1 integration connected"},
		{"all healthy", Summary{Items: items(connected, connected, connected)}, IconHealthy, "All 3 integrations connected"},
		{"one expiring", Summary{Items: items(connected, expiring)}, IconWarning, "1 integration expires soon"},
		{"degraded", Summary{Items: items(degraded, degraded)}, IconWarning, "2 integrations are degraded"},
		{"one needs reauth", Summary{Items: items(connected, needsReauth)}, IconBroken, "1 integration needs reauthorization"},
		{"two need reauth", Summary{Items: items(needsReauth, connected, needsReauth)}, IconBroken, "2 integrations need reauthorization"},
		{"error", Summary{Items: items(failing)}, IconBroken, "1 integration is failing"},
		{
			"mixed, most severe first", Summary{Items: items(expiring, failing, needsReauth, degraded, failing)}, IconBroken,
			"1 integration needs reauthorization\n2 integrations are failing\n1 integration is degraded\n1 integration expires soon",
		},
		{"unknown status counts as failing", Summary{Items: items("bogus")}, IconBroken, "1 integration is failing"},
		{"an integration checking", Summary{Items: items(connected, checking)}, IconChecking, "Checking integrations…"},
		{"check all running", Summary{Items: items(connected), Checking: true}, IconChecking, "Checking integrations…"},
		{
			"a background failure awaiting confirmation is not connected", Summary{Items: items(connected, checking), Rechecking: 1}, IconChecking,
			"1 integration failed a check and is being checked again",
		},
		{"broken wins over checking", Summary{Items: items(needsReauth), Checking: true}, IconBroken, "1 integration needs reauthorization"},
		{"checking wins over warning", Summary{Items: items(expiring), Checking: true}, IconChecking, "1 integration expires soon"},
		{"paused integration is not a problem", Summary{Items: items(connected, paused)}, IconHealthy, "All 2 integrations connected"},
		{"monitoring paused", Summary{Items: items(connected), Paused: true}, IconPaused, "Monitoring is paused"},
		{
			"paused still lists problems", Summary{Items: items(needsReauth), Paused: true}, IconPaused,
			"Monitoring is paused\n1 integration needs reauthorization",
		},
		{"offline", Summary{Items: items(connected), Offline: true}, IconOffline, "Offline: checks resume when the network is back"},
		{"paused wins over offline", Summary{Paused: true, Offline: true}, IconPaused, "Monitoring is paused"},
		{
			"cannot save wins over everything", Summary{Items: items(connected, needsReauth), CannotSave: true, Paused: true}, IconBroken,
			"Relink can’t save its data\nMonitoring is paused\n1 integration needs reauthorization",
		},
		{"cannot save with all healthy", Summary{Items: items(connected), CannotSave: true}, IconBroken, "Relink can’t save its data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Build(tt.in, testrig.Translator(t))
			if got.Icon != tt.wantIcon {
				t.Errorf("Build(%+v).Icon = %q; want %q", tt.in, got.Icon, tt.wantIcon)
			}
			if got.Tooltip != tt.wantTooltip {
				t.Errorf("Build(%+v).Tooltip = %q; want %q", tt.in, got.Tooltip, tt.wantTooltip)
			}
		})
	}
}

// row is a compact MenuItem for table comparisons.
type row struct {
	label, action, id string
	disabled          bool
}

func rows(m []MenuItem) []row {
	out := make([]row, len(m))
	for i, it := range m {
		if it.Separator {
			out[i] = row{label: "---"}
			continue
		}
		out[i] = row{it.Label, string(it.Action), it.IntegrationID, it.Disabled}
	}
	return out
}

var (
	tail = []row{
		{"Open Relink", "open", "", false},
		{"Check all now", "check_all", "", false},
		{"Pause monitoring", "pause", "", false},
		{label: "---"},
		{"Quit Relink", "quit", "", false},
	}
	sep = row{label: "---"}
)

func TestBuildMenu(t *testing.T) {
	many := make([]Item, 10)
	for i := range many {
		many[i] = Item{ID: fmt.Sprintf("s%02d", i), Name: fmt.Sprintf("Shop %02d", i), Status: needsReauth, Reauthorize: true}
	}
	var manyRows []row
	for i := 0; i < MaxAttentionItems-1; i++ {
		manyRows = append(manyRows, row{fmt.Sprintf("Reauthorize Shop %02d…", i), "reauthorize", fmt.Sprintf("s%02d", i), false})
	}

	tests := []struct {
		name string
		in   Summary
		want []row
	}{
		{"healthy has only the fixed rows", Summary{Items: items(connected, paused)}, tail},
		{
			"each integration needing attention, most severe then by name",
			Summary{Items: []Item{
				{"pg", "Warehouse DB", failing, true},
				{"ga", "Google Analytics", needsReauth, true},
				{"ok", "Stripe", connected, true},
				{"sf", "salesforce", needsReauth, true},
				{"sh", "Shopify", expiring, true},
				{"mx", "MySQL", degraded, true},
			}},
			append([]row{
				{"Reauthorize Google Analytics…", "reauthorize", "ga", false},
				{"Reauthorize salesforce…", "reauthorize", "sf", false},
				{"Fix Warehouse DB…", "reauthorize", "pg", false},
				{"Fix MySQL…", "reauthorize", "mx", false},
				{"Reauthorize Shopify…", "reauthorize", "sh", false},
				sep,
			}, tail...),
		},
		{
			// An outage or an admin-only fix is not repaired by new
			// credentials: the row opens the details that say what to do.
			"a failure new credentials do not fix opens its details",
			Summary{Items: []Item{
				{"ga", "Google Analytics", needsReauth, true},
				{"sf", "Salesforce", failing, false},
			}},
			append([]row{
				{"Reauthorize Google Analytics…", "reauthorize", "ga", false},
				{"Fix Salesforce…", "details", "sf", false},
				sep,
			}, tail...),
		},
		{
			"too many are folded into a more row",
			Summary{Items: many},
			append(append(manyRows, row{"3 more…", "open", "", false}, sep), tail...),
		},
		{
			"checking disables check all",
			Summary{Items: items(connected), Checking: true},
			[]row{
				{"Open Relink", "open", "", false},
				{"Checking…", "check_all", "", true},
				{"Pause monitoring", "pause", "", false},
				sep,
				{"Quit Relink", "quit", "", false},
			},
		},
		{
			"paused offers resume",
			Summary{Items: items(connected), Paused: true},
			[]row{
				{"Open Relink", "open", "", false},
				{"Check all now", "check_all", "", false},
				{"Resume monitoring", "resume", "", false},
				sep,
				{"Quit Relink", "quit", "", false},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rows(Build(tt.in, testrig.Translator(t)).Menu)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Build menu =\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

func TestBuildMenuIDsAreUniqueAndStable(t *testing.T) {
	s := Summary{Items: items(needsReauth, failing, connected)}
	a := Build(s, testrig.Translator(t)).Menu
	b := Build(s, testrig.Translator(t)).Menu
	if !reflect.DeepEqual(a, b) {
		t.Errorf("Build is not deterministic:\n%v\n%v", a, b)
	}
	seen := map[string]bool{}
	for _, it := range a {
		if it.ID == "" || seen[it.ID] {
			t.Errorf("menu ID %q empty or repeated in %v", it.ID, a)
		}
		seen[it.ID] = true
	}
}
