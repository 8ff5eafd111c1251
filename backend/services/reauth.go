package services

import (
	"context"
	"errors"
	"strings"
	"time"

	"relink/backend/integration"
	"relink/backend/oauth"
	"relink/backend/secrets"
	"relink/backend/tokens"
)

// refresher lets the token manager refresh with the integration's
// provider configuration.
type refresher struct{ s *Service }

func (r refresher) Refresh(ctx context.Context, id, refreshToken string) (*oauth.Token, error) {
	in, err := r.s.store.GetIntegration(ctx, id)
	if err != nil {
		return nil, err
	}
	p, err := r.s.provider(in)
	if err != nil {
		return nil, err
	}
	setup, err := r.s.oauthSetup(ctx, in, p)
	if err != nil {
		return nil, err
	}
	return oauth.Refresh(ctx, r.s.http, setup.cfg, refreshToken)
}

// recordRefresh writes a refresh event (never the token).
func (s *Service) recordRefresh(id string, rotated bool, err error) {
	ev := integration.Event{Time: s.clock.Now().UTC(), IntegrationID: id, Kind: integration.EventRefresh, Message: "refresh.ok"}
	if in, gerr := s.store.GetIntegration(context.Background(), id); gerr == nil {
		ev.Integration = in.Name
	}
	if rotated {
		ev.Detail = "rotated"
	}
	if err != nil {
		ev = ev.WithProblem(historyProblem(err))
		ev.Detail = ""
	}
	_ = s.store.AppendEvents(context.Background(), ev)
}

// ReauthOptions shape one reauthorization.
type ReauthOptions struct {
	NoBrowser bool
	Device    bool
	Timeout   time.Duration
	// OnURL receives the authorization URL; opened is false when no
	// browser could be opened (show the URL to copy).
	OnURL func(url string, opened bool)
	// OnDeviceAvailable is called when no browser could be opened and the
	// provider also offers signing in with a code on another device.
	OnDeviceAvailable func()
	OnDeviceCode      func(uri, code string)
	// ConfirmAccount decides whether a different account may replace the
	// previous one (the wrong-account guard).
	ConfirmAccount func(previous, next string) bool
}

// Reauthorize runs an OAuth authorization in place: same id, settings and
// history; only the credentials change.
func (s *Service) Reauthorize(ctx context.Context, id string, opts ReauthOptions) (IntegrationView, error) {
	if err := s.writable(ctx); err != nil {
		return IntegrationView{}, err
	}
	in, err := s.store.GetIntegration(ctx, id)
	if err != nil {
		return IntegrationView{}, err
	}
	if in.Kind != integration.KindOAuth2 {
		return s.View(in), integration.NewProblem("error.not_oauth")
	}
	p, err := s.provider(in)
	if err != nil {
		return s.View(in), err
	}
	setup, err := s.oauthSetup(ctx, in, p)
	if err != nil {
		err = userError(p, err)
		s.recordError(ctx, in, err)
		return s.View(in), err
	}
	var tok *oauth.Token
	if opts.Device {
		tok, err = oauth.DeviceAuthorize(ctx, s.http, setup.cfg, func(d oauth.DeviceCode) {
			if opts.OnDeviceCode != nil {
				opts.OnDeviceCode(d.VerificationURI, d.UserCode)
			}
		})
	} else {
		var opener oauth.Opener
		if !opts.NoBrowser && s.opener != nil {
			opener = s.opener
		}
		onURL := func(url string, opened bool) {
			if opts.OnURL != nil {
				opts.OnURL(url, opened)
			}
			if !opened && setup.cfg.DeviceURL != "" && opts.OnDeviceAvailable != nil {
				opts.OnDeviceAvailable()
			}
		}
		var redirect oauth.Redirect
		if redirect, err = s.oauthRedirect(p, in.Settings); err == nil {
			tok, err = oauth.Authorize(ctx, oauth.Request{Config: setup.cfg, Opener: opener, HTTP: s.http, Timeout: opts.Timeout,
				OnURL: onURL, Page: s.callbackPage, Redirect: redirect})
		}
	}
	if err != nil {
		err = userError(p, err)
		s.recordError(ctx, in, err)
		return s.View(in), err
	}
	var claims oauth.IDClaims
	if setup.oidc && tok.IDToken != "" {
		// An ID token that does not verify means the grant cannot be
		// trusted to be the user's: discard it.
		if claims, err = oauth.VerifyIDToken(ctx, s.http, tok.IDToken, setup.cfg.Issuer, setup.cfg.ClientID, setup.jwks, s.clock.Now()); err != nil {
			s.discardGrant(setup.cfg, tok)
			s.recordError(ctx, in, err)
			return s.View(in), err
		}
	}
	// The grant just worked: a transient failure now is re-probed before
	// it is believed.
	// A new authorization may hand over new metadata (another org, tenant
	// or company): the old is not carried over.
	meta := keepFromAuthorization(p, tok)
	res := s.recheck(ctx, p, func() probeResult { return s.whoami(ctx, in, p, tokenOf(tok), meta) })
	if res.meta == nil {
		res.meta = meta
	}
	account := res.obs.Account
	if setup.oidc {
		account = oidcAccount(res.identity, in.Settings["account_path"], claims)
	}
	if in.Account != "" && account != "" && !strings.EqualFold(in.Account, account) {
		if opts.ConfirmAccount == nil || !opts.ConfirmAccount(in.Account, account) {
			s.discardGrant(setup.cfg, tok)
			return s.View(in), integration.NewProblem("error.account_change_declined")
		}
	}
	if err := s.tokens.Store(ctx, id, tok); err != nil {
		return s.secretNotSaved(ctx, in, err)
	}
	var out integration.Integration
	now := s.clock.Now().UTC()
	err = s.mutate(ctx, id, func(x *integration.Integration) (integration.Event, bool) {
		x.Status, x.Cause, x.Problem, x.Unconfirmed = res.verdict.Status, res.verdict.Cause, res.verdict.Problem, nil
		if x.Status == "" {
			x.Status = integration.StatusConnected
		}
		if account != "" {
			x.Account = account
		}
		x.GrantedScopes = res.scopes
		x.Metadata = res.meta
		x.Expiry.AccessExpiresAt = tok.Expiry
		x.Expiry.RefreshExpiresAt = tok.RefreshExpiry
		if x.Expiry.RefreshExpiresAt.IsZero() {
			if d := p.RefreshLifetimeFor(in.Settings); d > 0 && tok.RefreshToken != "" {
				x.Expiry.RefreshExpiresAt = now.Add(d)
			} else if tok.RefreshToken == "" && !tok.Expiry.IsZero() {
				// No refresh token: the access token's expiry is the hard one.
				x.Expiry.RefreshExpiresAt = tok.Expiry
			}
		}
		x.LastChecked, x.LastHealthy = now, now
		return integration.Event{Kind: integration.EventReauthorize, NewStatus: x.Status, Account: x.Account}, true
	}, &out)
	s.policy.Reset(id)
	if err != nil {
		return s.View(in), err
	}
	return s.View(out), nil
}

// discardGrant revokes a new grant Relink will not keep, rather than
// leave it usable.
func (s *Service) discardGrant(cfg oauth.Config, tok *oauth.Token) {
	if cfg.RevokeURL == "" || tok.RefreshToken == "" {
		return
	}
	rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	oauth.Revoke(rctx, s.http, cfg, tok.RefreshToken, "refresh_token")
}

func tokenOf(t *oauth.Token) tokens.Token {
	return tokens.Token{AccessToken: t.AccessToken, Expiry: t.Expiry, Scopes: t.Scopes}
}

// recordError writes a failed repair to history.
func (s *Service) recordError(ctx context.Context, in integration.Integration, err error) {
	_ = s.store.AppendEvents(ctx, integration.Event{Time: s.clock.Now().UTC(), IntegrationID: in.ID, Integration: in.Name,
		Kind: integration.EventError}.WithProblem(historyProblem(err)))
}

// historyProblem is what history keeps of err: its Problem (code and the
// params written for users) when it has one, never an arbitrary error text.
func historyProblem(err error) *integration.Problem {
	var p *integration.Problem
	if errors.As(err, &p) {
		return p
	}
	return integration.NewProblem("error.unexpected")
}

func (s *Service) callbackPage(ok bool, p *integration.Problem) []byte {
	lang := s.lang()
	if ok {
		return oauth.RenderPage(s.i18n.T(lang, "callback.ok.title", nil), s.i18n.T(lang, "callback.ok.body", nil), true)
	}
	body := s.i18n.T(lang, "callback.fail.body", nil)
	if p != nil {
		body = s.i18n.Problem(lang, p) + " " + body
	}
	return oauth.RenderPage(s.i18n.T(lang, "callback.fail.title", nil), body, false)
}

// PrepareRepair refuses a repair up front while nothing could be saved,
// and says how the integration is repaired: OAuth reauthorizes in the
// browser (Reauthorize), the others take a new secret (SubmitSecret).
func (s *Service) PrepareRepair(ctx context.Context, id string) (integration.Kind, error) {
	if err := s.writable(ctx); err != nil {
		return "", err
	}
	in, err := s.store.GetIntegration(ctx, id)
	if err != nil {
		return "", err
	}
	return in.Kind, nil
}

// verifySecret probes with a candidate secret (and, while adding, a
// candidate bastion key); only a healthy answer (connected or degraded)
// lets it be saved.
func (s *Service) verifySecret(ctx context.Context, in integration.Integration, secret, sshKey string) (probeResult, error) {
	p, err := s.provider(in)
	if err != nil {
		return probeResult{}, err
	}
	var probe func() probeResult
	switch in.Kind {
	case integration.KindAPIKey:
		if readsUpdateCycle(p) {
			probe = func() probeResult { return s.probeUpdateCycle(ctx, in, p, secret, false) }
		} else {
			probe = func() probeResult { return s.probeKey(ctx, in, p, secret) }
		}
	case integration.KindDatabase:
		probe = func() probeResult { return s.probeDB(ctx, in, p, secret, sshKey) }
	default:
		return probeResult{}, integration.NewProblem("error.not_oauth")
	}
	// A blip right after the user typed the secret is re-probed before the
	// add or repair is refused.
	res := s.recheck(ctx, p, probe)
	switch res.verdict.Status {
	case integration.StatusConnected, integration.StatusDegraded:
		return res, nil
	case integration.StatusNeedsReauth:
		// The verdict's own problem already says the credential was
		// rejected and what to do: wrapping it again doubled the sentence.
		return res, res.verdict.Problem
	}
	return res, integration.Wrap("error.secret_unverified", res.verdict.Problem)
}

// SubmitSecret replaces an API key or database password after checking it
// against the provider; a rejected secret is never saved.
func (s *Service) SubmitSecret(ctx context.Context, id, secret string) (IntegrationView, error) {
	if err := s.writable(ctx); err != nil {
		return IntegrationView{}, err
	}
	in, err := s.store.GetIntegration(ctx, id)
	if err != nil {
		return IntegrationView{}, err
	}
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return s.View(in), integration.NewProblem("error.secret_required", "field", secretSlot(in.Kind))
	}
	res, err := s.verifySecret(ctx, in, secret, "")
	if err != nil {
		s.recordError(ctx, in, err)
		return s.View(in), err
	}
	if err := s.secrets.Set(ctx, id, secretSlot(in.Kind), secret); err != nil {
		return s.secretNotSaved(ctx, in, err)
	}
	var out integration.Integration
	now := s.clock.Now().UTC()
	err = s.mutate(ctx, id, func(x *integration.Integration) (integration.Event, bool) {
		x.Status, x.Cause, x.Problem, x.Unconfirmed = res.verdict.Status, res.verdict.Cause, res.verdict.Problem, nil
		if res.obs.Account != "" {
			x.Account = res.obs.Account
		}
		x.LastChecked, x.LastHealthy = now, now
		return integration.Event{Kind: integration.EventReauthorize, NewStatus: x.Status, Account: x.Account}, true
	}, &out)
	if err != nil {
		return s.View(in), err
	}
	s.saveUpdate(ctx, id, res.update)
	return s.View(out), nil
}

// secretNotSaved records a secret the provider accepted but the keychain
// did not keep; the previous one is still there. A locked, unavailable or
// slow keychain becomes the integration's state, so the user sees what to
// fix rather than the state from before the repair.
func (s *Service) secretNotSaved(ctx context.Context, in integration.Integration, err error) (IntegrationView, error) {
	v := errResult(err).verdict
	if v.Cause != integration.CauseLocalProblem {
		s.recordError(ctx, in, err)
		return s.View(in), err
	}
	out := in
	_ = s.mutate(ctx, in.ID, func(x *integration.Integration) (integration.Event, bool) {
		x.Status, x.Cause, x.Problem = v.Status, v.Cause, v.Problem
		return integration.Event{Kind: integration.EventError}.WithProblem(historyProblem(err)), true
	}, &out)
	return s.View(out), err
}

func secretSlot(k integration.Kind) string {
	if k == integration.KindDatabase {
		return secrets.SlotPassword
	}
	return secrets.SlotAPIKey
}

// ErrNeedsAttention marks a refusal because the integration itself needs
// the user (the CLI exits 3 for it).
var ErrNeedsAttention = errors.New("integration needs attention")

// Token returns a credential for scripts: a valid OAuth access token
// (refreshed if needed) or the API key. An integration known to need
// reauthorization gives nothing, with its stored reason; a refresh that
// fails records what it learned only when that is new.
func (s *Service) Token(ctx context.Context, id string) (string, error) {
	in, err := s.store.GetIntegration(ctx, id)
	if err != nil {
		return "", err
	}
	if in.Kind == integration.KindDatabase {
		return "", integration.NewProblem("error.token_not_supported")
	}
	if in.Status == integration.StatusNeedsReauth {
		return "", needsReauth(in.Name, in.Problem, in.Cause)
	}
	if in.Kind == integration.KindAPIKey {
		return s.secrets.Get(ctx, id, secrets.SlotAPIKey)
	}
	t, err := s.tokens.AccessToken(ctx, id, "")
	if err != nil {
		p, perr := s.provider(in)
		if perr != nil {
			return "", err
		}
		res := failed(p, err)
		if res.verdict.Status != integration.StatusNeedsReauth {
			return "", userError(p, err)
		}
		s.apply(ctx, in, res, true)
		return "", needsReauth(in.Name, res.verdict.Problem, res.verdict.Cause)
	}
	return t.AccessToken, nil
}

func needsReauth(name string, p *integration.Problem, cause integration.Cause) error {
	if p == nil {
		p = integration.NewProblem("cause." + string(cause))
	}
	return &integration.CodedError{Sentinel: ErrNeedsAttention, Problem: integration.Wrap("error.token_needs_reauth", p, "name", name)}
}
