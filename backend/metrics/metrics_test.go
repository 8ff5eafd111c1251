package metrics_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"relink/backend/integration"
	"relink/backend/metrics"
	"relink/backend/services"
)

func at(s string) *time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return &t
}

var views = []services.IntegrationView{
	{ID: "ga-1", Name: "GA", Provider: "google-analytics", Status: integration.StatusNeedsReauth, Cause: integration.CauseAccessRevoked,
		LastChecked: at("2026-11-29T09:00:00Z")},
	{ID: "pg-1", Name: "Warehouse \"main\" \\ eu\nprimary", Provider: "postgres", Status: integration.StatusConnected,
		LastChecked: at("2026-11-29T09:05:00Z")},
	{ID: "xe-1", Name: "Xero", Provider: "xero", Status: integration.StatusExpiring,
		LastChecked: at("2026-11-29T09:10:00Z"), AccessExpiresAt: at("2026-11-29T09:40:00Z"), RefreshExpiresAt: at("2026-12-03T00:00:00Z")},
}

type lister []services.IntegrationView

func (l lister) ListIntegrations(context.Context) ([]services.IntegrationView, error) { return l, nil }

// parse reads the text format with Prometheus' own parser.
func parse(t *testing.T, r io.Reader) map[string]*dto {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("Prometheus text parser: %v", err)
	}
	out := map[string]*dto{}
	for name, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := name
			lbl := map[string]string{}
			for _, l := range m.GetLabel() {
				lbl[l.GetName()] = l.GetValue()
			}
			key += "/" + lbl["id"]
			out[key] = &dto{labels: lbl, value: m.GetGauge().GetValue()}
		}
	}
	return out
}

type dto struct {
	labels map[string]string
	value  float64
}

func TestTextMatchesTheIntegrationsStates(t *testing.T) {
	var buf bytes.Buffer
	if err := metrics.WriteText(&buf, views); err != nil {
		t.Fatal(err)
	}
	got := parse(t, &buf)
	tests := []struct {
		key    string
		value  float64
		labels map[string]string
	}{
		{"relink_integration_status/ga-1", 1, map[string]string{"status": "needs_reauth", "cause": "access_revoked", "provider": "google-analytics", "name": "GA"}},
		{"relink_integration_status/pg-1", 1, map[string]string{"status": "connected", "cause": "", "name": "Warehouse \"main\" \\ eu\nprimary"}},
		{"relink_integration_healthy/ga-1", 0, nil},
		{"relink_integration_healthy/pg-1", 1, nil},
		{"relink_integration_healthy/xe-1", 1, nil},
		{"relink_last_check_timestamp_seconds/ga-1", float64(at("2026-11-29T09:00:00Z").Unix()), nil},
		{"relink_token_expiry_timestamp_seconds/xe-1", float64(at("2026-11-29T09:40:00Z").Unix()), nil},
		{"relink_hard_expiry_timestamp_seconds/xe-1", float64(at("2026-12-03T00:00:00Z").Unix()), nil},
	}
	for _, tt := range tests {
		m, ok := got[tt.key]
		if !ok {
			t.Errorf("%s missing from:\n%s", tt.key, buf.String())
			continue
		}
		if m.value != tt.value {
			t.Errorf("%s = %v; want %v", tt.key, m.value, tt.value)
		}
		for k, v := range tt.labels {
			if m.labels[k] != v {
				t.Errorf("%s label %s = %q; want %q", tt.key, k, m.labels[k], v)
			}
		}
	}
	// An unknown time is left out rather than sent as 0.
	for _, key := range []string{"relink_hard_expiry_timestamp_seconds/ga-1", "relink_token_expiry_timestamp_seconds/pg-1"} {
		if _, ok := got[key]; ok {
			t.Errorf("%s present although the time is unknown", key)
		}
	}
}

func TestServeOnLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:9464", "192.0.2.1:9464", ":9464", "localhost", "127.0.0.1:99999"} {
		if err := services.CheckMetricsAddr(addr); err == nil {
			t.Errorf("CheckMetricsAddr(%q) = nil; want a refusal", addr)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bound, done, err := metrics.Serve(ctx, "127.0.0.1:0", lister(views))
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get("http://" + bound.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got := parse(t, res.Body)
	if m := got["relink_integration_status/ga-1"]; m == nil || m.labels["status"] != "needs_reauth" {
		t.Errorf("served status of ga-1 = %+v; want needs_reauth", m)
	}
	cancel()
	if err := <-done; err != nil && !strings.Contains(err.Error(), "closed") {
		t.Errorf("server ended with %v", err)
	}
}
