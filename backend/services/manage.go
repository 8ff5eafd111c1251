package services

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"relink/backend/catalog"
	"relink/backend/health"
	"relink/backend/i18n"
	"relink/backend/integration"
	"relink/backend/oauth"
	"relink/backend/safefile"
	"relink/backend/secrets"
)

// Add creates an integration. API keys and database passwords are checked
// against the provider before anything is saved; on any failure nothing is
// left half-created (no row, no keychain item).
func (s *Service) Add(ctx context.Context, req AddRequest) (IntegrationView, error) {
	if err := s.writable(ctx); err != nil {
		return IntegrationView{}, err
	}
	p, ok := s.catalog.Get(strings.TrimSpace(req.Provider))
	if !ok {
		return IntegrationView{}, integration.NewError(integration.ErrInvalid, nil, "error.unknown_provider", "provider", req.Provider)
	}
	name := integration.CleanName(req.Name)
	if err := integration.ValidateName(name); err != nil {
		return IntegrationView{}, err
	}
	settings, err := p.ValidateSettings(req.Settings)
	if err != nil {
		return IntegrationView{}, err
	}
	if _, err := s.store.FindIntegration(ctx, name); err == nil {
		return IntegrationView{}, integration.NewError(integration.ErrInvalid, nil, "error.name_taken", "name", name)
	}
	now := s.clock.Now().UTC()
	in := integration.Integration{
		ID: newID(name), Name: name, Provider: p.ID, Kind: p.Kind, Settings: settings,
		RequiredScopes: p.RequiredScopes(settings), CreatedAt: now, UpdatedAt: now,
	}
	secret := strings.TrimSpace(req.Secret)
	slot := ""
	var res probeResult
	switch p.Kind {
	case integration.KindOAuth2:
		in.Status, in.Problem = integration.StatusNeedsReauth, integration.NewProblem("problem.not_authorized")
		if secret != "" {
			slot = secrets.SlotClientSecret
		} else if p.OAuth.ClientSecret == "required" {
			return IntegrationView{}, integration.NewError(integration.ErrInvalid, nil, "error.secret_required", "field", secrets.SlotClientSecret)
		}
	default:
		if secret == "" && !p.SecretOptional(settings) {
			return IntegrationView{}, integration.NewError(integration.ErrInvalid, nil, "error.secret_required", "field", p.SecretField())
		}
		slot = secretSlot(p.Kind)
	}
	extra, err := extraSecrets(p, req.Secrets, slot)
	if err != nil {
		return IntegrationView{}, err
	}
	switch {
	case p.Kind == integration.KindOAuth2:
	case req.NoVerify:
		// Saved as given (a database that is down today): the first
		// check says how it is; until then nothing is claimed.
		in.Status, in.Problem = integration.StatusChecking, integration.NewProblem("problem.not_checked")
	default:
		// The bastion key is not in the keychain yet: the probe gets it
		// directly, so a database behind a bastion can be added at all.
		if res, err = s.verifySecret(ctx, in, secret, extra[secrets.SlotSSHKey]); err != nil {
			return IntegrationView{}, err
		}
		in.Status, in.Cause, in.Problem = res.verdict.Status, res.verdict.Cause, res.verdict.Problem
		in.Account, in.LastChecked, in.LastHealthy = res.obs.Account, now, now
	}
	if slot != "" && secret != "" {
		extra[slot] = secret
	}
	for k, v := range extra {
		if err := s.secrets.Set(ctx, in.ID, k, v); err != nil {
			s.secrets.DeleteAll(context.Background(), in.ID)
			return IntegrationView{}, err
		}
	}
	evs := []integration.Event{{Time: now, IntegrationID: in.ID, Integration: in.Name, Kind: integration.EventCreated, NewStatus: in.Status, Account: in.Account}}
	if p.Kind != integration.KindOAuth2 && !req.NoVerify {
		evs = append(evs, integration.Event{Time: now, IntegrationID: in.ID, Integration: in.Name, Kind: integration.EventCheck, NewStatus: in.Status, Cause: in.Cause}.WithProblem(in.Problem))
	}
	if err := s.store.CreateIntegration(ctx, in, evs...); err != nil {
		if len(extra) > 0 {
			s.secrets.DeleteAll(context.Background(), in.ID)
		}
		return IntegrationView{}, err
	}
	s.saveUpdate(ctx, in.ID, res.update)
	v := s.View(in)
	s.emit(EventIntegrationChanged, v)
	return v, nil
}

// extraSecrets checks additional secret fields: each must be a secret
// field of the provider other than the primary one.
func extraSecrets(p catalog.Provider, given map[string]string, primary string) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range given {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		ok := false
		for _, f := range p.Fields {
			ok = ok || (f.Secret && f.Key == k && k != primary)
		}
		if !ok {
			return nil, integration.NewError(integration.ErrInvalid, nil, "error.field_unknown", "field", k, "provider", p.ID)
		}
		out[k] = v
	}
	for _, f := range p.Fields {
		// A required further secret (Google Ads' developer token) cannot be
		// added later: ask for it now.
		if f.Secret && f.Required && f.Key != primary && f.Key != p.SecretField() && out[f.Key] == "" {
			return nil, integration.NewError(integration.ErrInvalid, nil, "error.secret_required", "field", f.Key)
		}
	}
	return out, nil
}

// Update changes an integration's name and settings.
func (s *Service) Update(ctx context.Context, id, name string, settings map[string]string) (IntegrationView, error) {
	if err := s.writable(ctx); err != nil {
		return IntegrationView{}, err
	}
	in, err := s.store.GetIntegration(ctx, id)
	if err != nil {
		return IntegrationView{}, err
	}
	p, err := s.provider(in)
	if err != nil {
		return IntegrationView{}, err
	}
	name = integration.CleanName(name)
	if err := integration.ValidateName(name); err != nil {
		return IntegrationView{}, err
	}
	clean, err := p.ValidateSettings(settings)
	if err != nil {
		return IntegrationView{}, err
	}
	var changed []string
	for k := range union(in.Settings, clean) {
		if in.Settings[k] != clean[k] {
			changed = append(changed, k)
		}
	}
	if name != in.Name {
		changed = append(changed, "name")
	}
	sort.Strings(changed)
	var out integration.Integration
	err = s.mutate(ctx, id, func(x *integration.Integration) (integration.Event, bool) {
		x.Name, x.Settings = name, clean
		x.RequiredScopes = p.RequiredScopes(clean)
		// Keys only: settings are not secret but the event says what
		// changed, not to what.
		return integration.Event{Kind: integration.EventSettingChange, Detail: strings.Join(changed, ",")}, len(changed) > 0
	}, &out)
	if err != nil {
		return IntegrationView{}, err
	}
	if readsUpdateCycle(p) && len(changed) > 0 {
		// A zone or threshold changes what the last answer means: read it
		// again (within the minimum interval, without a new request).
		s.CheckOne(ctx, id)
		return s.Get(ctx, id)
	}
	return s.View(out), nil
}

// Edit changes some settings of an integration (the others are kept),
// validated as when adding. Secrets are never settings: a new API key or
// password is given through reauthorization.
func (s *Service) Edit(ctx context.Context, id string, changes map[string]string) (IntegrationView, error) {
	in, err := s.store.GetIntegration(ctx, id)
	if err != nil {
		return IntegrationView{}, err
	}
	p, err := s.provider(in)
	if err != nil {
		return IntegrationView{}, err
	}
	settings := cloneMap(in.Settings)
	for _, k := range sortedKeys(changes) {
		for _, f := range p.Fields {
			if f.Key == k && f.Secret {
				return IntegrationView{}, integration.NewError(integration.ErrInvalid, nil, "error.edit_secret_field", "field", k, "name", in.Name)
			}
		}
		settings[k] = changes[k]
	}
	return s.Update(ctx, id, in.Name, settings)
}

func union(a, b map[string]string) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// Remove revokes the integration's tokens where the provider supports it
// and always deletes its keychain items and its row (history is kept).
// When the grant could not be revoked (provider down, no revocation
// endpoint, keychain unreadable) the result says so with the provider's
// page where the user can revoke it, and history records it.
func (s *Service) Remove(ctx context.Context, id string) (RemoveResult, error) {
	if err := s.writable(ctx); err != nil {
		return RemoveResult{}, err
	}
	in, err := s.store.GetIntegration(ctx, id)
	if err != nil {
		return RemoveResult{}, err
	}
	var res RemoveResult
	if in.Kind == integration.KindOAuth2 {
		res = s.revoke(ctx, in)
		if p, ok := s.catalog.Get(in.Provider); ok && res.Problem != nil {
			// Where the provider lets the user see and revoke app access.
			res.RevokeURL = p.Help[string(integration.CauseAccessRevoked)]
		}
	}
	s.tokens.Forget(ctx, id)
	if err := s.secrets.DeleteAll(ctx, id); err != nil && !errors.Is(err, secrets.ErrNotFound) {
		return res, fmt.Errorf("remove %s: %w", in.Name, err)
	}
	removed := integration.Event{Time: s.clock.Now().UTC(), IntegrationID: id, Integration: in.Name,
		Kind: integration.EventRemoved, OldStatus: in.Status, Account: in.Account}
	switch {
	case res.Revoked:
		removed.Detail = "revoked"
	case res.Problem != nil:
		removed.Detail = "not_revoked"
		if res.RevokeURL != "" {
			removed = removed.WithProblem(integration.Wrap("problem.not_revoked", res.Problem, "url", res.RevokeURL))
		} else {
			removed = removed.WithProblem(integration.Wrap("problem.not_revoked_at", res.Problem))
		}
	}
	if err := s.store.DeleteIntegration(ctx, id, removed); err != nil {
		return res, err
	}
	s.policy.Forget(id)
	s.emit(EventIntegrationRemoved, Removed{ID: id})
	for _, f := range s.removedListeners() {
		f(id)
	}
	return res, nil
}

// revoke is best effort: a grant that could not be revoked is reported
// (with why) but never blocks the local deletion. Nothing to revoke (never
// authorized) is neither.
func (s *Service) revoke(ctx context.Context, in integration.Integration) RemoveResult {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	rt, err := s.tokens.RefreshToken(rctx, in.ID)
	if errors.Is(err, secrets.ErrNotFound) {
		return RemoveResult{}
	}
	if err != nil {
		return RemoveResult{Problem: errResult(keychainErr(err)).verdict.Problem}
	}
	p, err := s.provider(in)
	if err != nil {
		return RemoveResult{Problem: integration.AsProblem(err)}
	}
	setup, err := s.oauthSetup(rctx, in, p)
	if err != nil {
		return RemoveResult{Problem: revokeProblem(userError(p, err))}
	}
	if setup.cfg.RevokeURL == "" {
		return RemoveResult{Problem: integration.NewProblem("problem.revoke_unsupported")}
	}
	if err := oauth.Revoke(rctx, s.http, setup.cfg, rt, "refresh_token"); err != nil {
		return RemoveResult{Problem: revokeProblem(userError(p, err))}
	}
	return RemoveResult{Revoked: true}
}

// revokeProblem says why a revocation request failed: the provider's
// answer or the network's, as a check would classify it.
func revokeProblem(err error) *integration.Problem {
	var p *integration.Problem
	if errors.As(err, &p) {
		return p
	}
	return errResult(err).verdict.Problem
}

// SystemLocale is the OS locale as a BCP 47-ish tag ("es-ES").
func (s *Service) SystemLocale() string {
	l := i18n.SystemLocale(s.getenv)
	if i := strings.IndexAny(l, ".@"); i >= 0 {
		l = l[:i]
	}
	if l == "C" || l == "POSIX" || l == "" {
		return "en"
	}
	return strings.ReplaceAll(l, "_", "-")
}

// Language is the language in effect: the setting, else the OS locale.
func (s *Service) Language(ctx context.Context) string {
	st, err := s.Settings(ctx)
	if err != nil {
		st = Settings{}
	}
	return s.languageOf(st)
}

// languageOf is the language in effect with the settings st.
func (s *Service) languageOf(st Settings) string {
	if st.Language != "" {
		return st.Language
	}
	return s.i18n.Match(s.SystemLocale())
}

// ExportCSVFile writes the filtered history to path (atomically).
func (s *Service) ExportCSVFile(ctx context.Context, path string, f HistoryFilter) error {
	sf, err := toStoreFilter(f)
	if err != nil {
		return err
	}
	return safefile.Write(path, 0o600, func(w io.Writer) error { return s.store.ExportCSV(ctx, w, sf) })
}

// Items lists what the scheduler watches and when each is due.
func (s *Service) Items(ctx context.Context, interval time.Duration) ([]health.Item, error) {
	ins, err := s.store.ListIntegrations(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]health.Item, 0, len(ins))
	for _, in := range ins {
		out = append(out, health.Item{ID: in.ID, Paused: in.Paused, NextDue: s.NextDue(in, interval)})
	}
	return out, nil
}

// Prune deletes history older than the retention in small batches with
// pauses, so it never holds the database for long.
func (s *Service) Prune(ctx context.Context, retention time.Duration) (int, error) {
	cut := s.clock.Now().Add(-retention)
	total := 0
	for {
		n, err := s.store.Prune(ctx, cut, 500)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
		select {
		case <-ctx.Done():
			return total, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Reload tells the window to refetch everything (another process wrote).
func (s *Service) Reload() { s.emit(EventReload, nil) }

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
