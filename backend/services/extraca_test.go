package services

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"relink/backend/health"
	"relink/backend/integration"
	"relink/backend/transport"
)

// TestExtraCATrustsAnInspectingGateway: a provider whose certificate is
// signed by a CA the system does not trust (as behind a TLS-inspecting
// gateway) works once that CA is given as a setting or in RELINK_EXTRA_CA,
// and fails as a local TLS problem without it.
func TestExtraCATrustsAnInspectingGateway(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"email":"analyst@example.com"}`)
	}))
	t.Cleanup(srv.Close)
	caFile := filepath.Join(t.TempDir(), "gateway-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}

	s, _, _ := newService(t)
	settings := DefaultSettings()
	settings.ExtraCAFile = caFile
	if _, err := s.SaveSettings(ctx, settings); err != nil {
		t.Fatalf("SaveSettings(extra CA): %v", err)
	}
	v, err := s.Add(ctx, AddRequest{Provider: "custom-api-key", Name: "Behind the gateway",
		Settings: map[string]string{"test_url": srv.URL + "/me", "account_path": "email"}, Secret: "key-1"})
	if err != nil || v.Status != integration.StatusConnected || v.Account != "analyst@example.com" {
		t.Fatalf("Add with the extra CA = %s/%q, %v; want connected as analyst", v.Status, v.Account, err)
	}

	settings.ExtraCAFile = ""
	if _, err := s.SaveSettings(ctx, settings); err != nil {
		t.Fatal(err)
	}
	got := s.checkTwice(t, v.ID)
	if got.Status != integration.StatusError || got.Cause != integration.CauseLocalProblem || got.Problem == nil || got.Problem.Code != "problem.tls" {
		t.Errorf("without the extra CA got %s/%s %v; want error/local_problem problem.tls", got.Status, got.Cause, got.Problem)
	}

	// The environment variable works for the command line and the window
	// alike, without touching the settings.
	env, _, _ := newServiceIn(t, t.TempDir())
	env.getenv = func(k string) string {
		if k == transport.EnvExtraCA {
			return caFile
		}
		return ""
	}
	if _, err := env.Add(ctx, AddRequest{Provider: "custom-api-key", Name: "From env",
		Settings: map[string]string{"test_url": srv.URL + "/me", "account_path": "email"}, Secret: "key-1"}); err != nil {
		t.Errorf("Add with %s: %v; want connected", transport.EnvExtraCA, err)
	}
}

// checkTwice checks until the transient failure is confirmed.
func (s *Service) checkTwice(t *testing.T, id string) IntegrationView {
	t.Helper()
	var v []IntegrationView
	for range health.ConfirmAfter {
		var err error
		if v, err = s.Check(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	return v[0]
}

func TestExtraCASettingIsCheckedWhenSaved(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "notes.txt")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	s, _, _ := newService(t)
	for _, file := range []string{notPEM, filepath.Join(dir, "missing.pem"), "relative/ca.pem"} {
		settings := DefaultSettings()
		settings.ExtraCAFile = file
		_, err := s.SaveSettings(context.Background(), settings)
		var p *integration.Problem
		if !errors.As(err, &p) || p.Code != "error.extra_ca_invalid" || p.Params["field"] != "extraCAFile" {
			t.Errorf("SaveSettings(ExtraCAFile=%q) = %v; want error.extra_ca_invalid for extraCAFile", file, err)
		}
	}
}
