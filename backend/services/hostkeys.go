package services

import (
	"context"
	"strconv"
	"strings"

	"relink/backend/health"
	"relink/backend/integration"
)

// pinKey is where a bastion's accepted host key fingerprint is kept (a
// public fingerprint, not a secret).
func pinKey(id string) string { return "ssh.pin." + id }

// bastionOf returns the integration's SSH bastion without its private key:
// enough to read the host key it presents.
func bastionOf(in integration.Integration) (health.SSHConfig, bool) {
	st := in.Settings
	if in.Kind != integration.KindDatabase || st["ssh_host"] == "" {
		return health.SSHConfig{}, false
	}
	port, _ := strconv.Atoi(st["ssh_port"])
	return health.SSHConfig{Host: st["ssh_host"], Port: port, User: st["ssh_user"]}, true
}

// AcceptHostKey is Relink's "Refresh SSH Host Keys": after the bastion's
// admin changed its host key, the user accepts the new one. Only the exact
// fingerprint Relink showed is accepted, and only while the bastion
// really presents it; then the old and new keys go to history and the
// integration is checked again.
func (s *Service) AcceptHostKey(ctx context.Context, id, fingerprint string) (IntegrationView, error) {
	if err := s.writable(ctx); err != nil {
		return IntegrationView{}, err
	}
	in, err := s.store.GetIntegration(ctx, id)
	if err != nil {
		return IntegrationView{}, err
	}
	cfg, ok := bastionOf(in)
	if !ok {
		return s.View(in), integration.NewProblem("error.no_ssh_bastion")
	}
	if in.Problem == nil || in.Problem.Code != "problem.ssh_host_key_changed" || in.Problem.Params["new"] == "" {
		return s.View(in), integration.NewProblem("error.host_key_unchanged")
	}
	shown, old := in.Problem.Params["new"], in.Problem.Params["old"]
	fingerprint = strings.TrimSpace(fingerprint)
	if fingerprint != shown {
		return s.View(in), integration.NewProblem("error.host_key_mismatch", "given", fingerprint, "shown", shown)
	}
	live, err := s.db.ScanHostKey(ctx, cfg)
	if err != nil {
		s.recordError(ctx, in, err)
		return s.View(in), integration.AsProblem(err)
	}
	if live != fingerprint {
		// Yet another key since Relink showed this one: accept nothing.
		p := integration.NewProblem("error.host_key_moved", "accepted", fingerprint, "now", live)
		s.recordError(ctx, in, p)
		return s.View(in), p
	}
	if err := s.store.SetSetting(ctx, pinKey(id), fingerprint); err != nil {
		return s.View(in), err
	}
	ev := integration.Event{Time: s.clock.Now().UTC(), IntegrationID: id, Integration: in.Name, Kind: integration.EventSettingChange,
		Detail: "ssh_host_key"}.WithProblem(integration.NewProblem("event.ssh_host_key_accepted", "old", old, "new", fingerprint))
	if err := s.store.AppendEvents(ctx, ev); err != nil {
		return s.View(in), err
	}
	s.policy.Reset(id)
	s.CheckOne(ctx, id)
	return s.Get(ctx, id)
}
