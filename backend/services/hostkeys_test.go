package services

import (
	"context"
	"errors"
	"os"
	"strconv"
	"testing"

	"relink/backend/integration"
	"relink/backend/internal/testrig"
	"relink/backend/secrets"
)

func TestSSHHostKeyRepair(t *testing.T) {
	if os.Getenv("RELINK_TEST_PG_HOST") == "" {
		t.Skip(`needs a real PostgreSQL: eval "$(.ci/start-postgres DIR)"`)
	}
	ctx := context.Background()
	s, _, _ := newService(t)
	b := testrig.NewBastion(t)
	first := b.Fingerprint()
	v, err := s.Add(ctx, AddRequest{Provider: "postgres", Name: "Behind bastion", Secret: os.Getenv("RELINK_TEST_PG_PASSWORD"),
		Secrets: map[string]string{secrets.SlotSSHKey: b.ClientKey},
		Settings: map[string]string{"host": os.Getenv("RELINK_TEST_PG_HOST"), "port": os.Getenv("RELINK_TEST_PG_PORT"),
			"database": os.Getenv("RELINK_TEST_PG_DB"), "user": os.Getenv("RELINK_TEST_PG_USER"), "tls_mode": "disable",
			"ssh_host": b.Host, "ssh_port": strconv.Itoa(b.Port), "ssh_user": "relink"}})
	if err != nil || v.Status != integration.StatusConnected {
		t.Fatalf("add through the bastion: %s %v", v.Status, err)
	}
	check := func() IntegrationView {
		t.Helper()
		vs, err := s.Check(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		return vs[0]
	}
	problemOf := func(err error) string {
		var p *integration.Problem
		if errors.As(err, &p) {
			return p.Code
		}
		return ""
	}

	second := b.Rotate(t)
	got := check()
	if got.Status != integration.StatusNeedsReauth || got.Problem == nil || got.Problem.Code != "problem.ssh_host_key_changed" ||
		got.Problem.Params["old"] != first || got.Problem.Params["new"] != second {
		t.Fatalf("after rotation got %s %+v; want needs_reauth showing old %s and new %s", got.Status, got.Problem, first, second)
	}

	// The bastion moves on again before the user accepts what was shown.
	third := b.Rotate(t)
	if _, err := s.AcceptHostKey(ctx, v.ID, second); problemOf(err) != "error.host_key_moved" {
		t.Fatalf("accepting a key the bastion no longer presents: %v; want error.host_key_moved", err)
	}
	if got := check(); got.Problem == nil || got.Problem.Params["old"] != first || got.Problem.Params["new"] != third {
		t.Fatalf("after a refused accept the pin moved: %+v", got.Problem)
	}

	if _, err := s.AcceptHostKey(ctx, v.ID, first); problemOf(err) != "error.host_key_mismatch" {
		t.Fatalf("accepting another fingerprint than shown: %v; want error.host_key_mismatch", err)
	}
	if got, _ := s.Get(ctx, v.ID); got.Status != integration.StatusNeedsReauth {
		t.Fatalf("a wrong fingerprint repaired the integration: %s", got.Status)
	}

	got, err = s.AcceptHostKey(ctx, v.ID, third)
	if err != nil || got.Status != integration.StatusConnected {
		t.Fatalf("accepting the shown key: %s %+v %v; want connected", got.Status, got.Problem, err)
	}
	page, err := s.History(ctx, HistoryFilter{IntegrationID: v.ID, Kinds: []string{string(integration.EventSettingChange)}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range page.Events {
		found = found || (e.Message == "event.ssh_host_key_accepted" && e.Params["old"] == first && e.Params["new"] == third)
	}
	if !found {
		t.Errorf("history has no accepted-key event from %s to %s: %+v", first, third, page.Events)
	}
	if _, err := s.AcceptHostKey(ctx, v.ID, third); problemOf(err) != "error.host_key_unchanged" {
		t.Errorf("accepting again when nothing changed: %v; want error.host_key_unchanged", err)
	}
}
