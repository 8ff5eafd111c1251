package integration

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSeverityOrdersEveryStatus(t *testing.T) {
	for i := 1; i < len(AllStatuses); i++ {
		hi, lo := AllStatuses[i-1], AllStatuses[i]
		if Severity(hi) <= Severity(lo) {
			t.Errorf("Severity(%s) = %d, Severity(%s) = %d; want the first higher", hi, Severity(hi), lo, Severity(lo))
		}
	}
	if got := Severity("from-a-newer-relink"); got <= Severity(StatusNeedsReauth) {
		t.Errorf("Severity(unknown) = %d; want above every known status, so it is never hidden", got)
	}
}

func TestNeedsAttentionAndWorst(t *testing.T) {
	for _, tt := range []struct {
		s    Status
		want bool
	}{
		{StatusNeedsReauth, true}, {StatusError, true}, {StatusDegraded, true}, {StatusExpiring, true},
		{StatusChecking, false}, {StatusPaused, false}, {StatusConnected, false}, {"unknown", true},
	} {
		if got := NeedsAttention(tt.s); got != tt.want {
			t.Errorf("NeedsAttention(%s) = %v; want %v", tt.s, got, tt.want)
		}
	}
	for _, tt := range []struct {
		in   []Status
		want Status
	}{
		{nil, StatusConnected},
		{[]Status{StatusPaused, StatusExpiring, StatusConnected}, StatusExpiring},
		{[]Status{StatusError, StatusNeedsReauth, StatusDegraded}, StatusNeedsReauth},
	} {
		if got := Worst(tt.in...); got != tt.want {
			t.Errorf("Worst(%v) = %s; want %s", tt.in, got, tt.want)
		}
	}
}

func TestEffectiveStatus(t *testing.T) {
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	in := func(s Status, paused bool, refreshEnds time.Duration) Integration {
		x := Integration{Status: s, Paused: paused}
		if refreshEnds != 0 {
			x.Expiry.RefreshExpiresAt = now.Add(refreshEnds)
		}
		return x
	}
	for _, tt := range []struct {
		name string
		in   Integration
		want Status
	}{
		{"connected, no hard expiry", in(StatusConnected, false, 0), StatusConnected},
		{"connected, expiry in 3 days", in(StatusConnected, false, 3*24*time.Hour), StatusExpiring},
		{"connected, expiry just inside the window", in(StatusConnected, false, ExpiringWithin-time.Minute), StatusExpiring},
		{"connected, expiry at the window's edge", in(StatusConnected, false, ExpiringWithin), StatusConnected},
		{"connected, expiry in 30 days", in(StatusConnected, false, 30*24*time.Hour), StatusConnected},
		{"broken and expiring stays broken", in(StatusNeedsReauth, false, time.Hour), StatusNeedsReauth},
		{"degraded and expiring stays degraded", in(StatusDegraded, false, time.Hour), StatusDegraded},
		{"paused wins over broken", in(StatusError, true, 0), StatusPaused},
		{"paused wins over expiring", in(StatusConnected, true, time.Hour), StatusPaused},
	} {
		if got := EffectiveStatus(tt.in, now); got != tt.want {
			t.Errorf("%s: EffectiveStatus = %s; want %s", tt.name, got, tt.want)
		}
	}
}

func TestSlug(t *testing.T) {
	for _, tt := range []struct{ name, want string }{
		{"Marketing Analytics", "marketing-analytics"},
		{"  GA4 -- (EU)  ", "ga4-eu"},
		{"Ünïcode 42!!", "n-code-42"},
		{"", "integration"},
		{"!!! ???", "integration"},
		{"日本語", "integration"},
		{strings.Repeat("a", 50), strings.Repeat("a", 40)},
		{strings.Repeat("ab ", 20), strings.Repeat("ab-", 14)[:40]},
	} {
		got := Slug(tt.name)
		if got != tt.want {
			t.Errorf("Slug(%q) = %q; want %q", tt.name, got, tt.want)
		}
		if !ValidID(got + "-3f9a1c2e") {
			t.Errorf("Slug(%q) = %q does not make a valid id", tt.name, got)
		}
	}
}

func TestMissingScopes(t *testing.T) {
	got := MissingScopes([]string{"openid", "analytics.read", "offline"}, []string{"offline", "openid"})
	if want := []string{"analytics.read"}; !slices.Equal(got, want) {
		t.Errorf("MissingScopes = %v; want %v", got, want)
	}
	if got := MissingScopes([]string{"a"}, []string{"a", "b"}); len(got) != 0 {
		t.Errorf("MissingScopes with all granted = %v; want none", got)
	}
}
