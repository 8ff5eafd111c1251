package services

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"relink/backend/catalog"
	"relink/backend/health"
	"relink/backend/integration"
	"relink/backend/secrets"
	"relink/backend/store"
	"relink/backend/tokens"
)

// Check checks the given integrations now (all when ids is empty) and
// returns their views, most severe first. It is an explicit check (relink
// check, Check now, Check all): what it returns is what it saw.
func (s *Service) Check(ctx context.Context, ids ...string) ([]IntegrationView, error) {
	return s.CheckProgress(ctx, nil, ids...)
}

// CheckProgress is Check telling progress the name of each integration as
// its check starts and ends (from several goroutines). One removed
// meanwhile is left out; the others are still reported.
func (s *Service) CheckProgress(ctx context.Context, progress func(name string, done bool), ids ...string) ([]IntegrationView, error) {
	if err := s.writable(ctx); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		all, err := s.store.ListIntegrations(ctx)
		if err != nil {
			return nil, err
		}
		for _, in := range all {
			ids = append(ids, in.ID)
		}
	}
	sched := health.Scheduler{Concurrency: 8, Check: func(ctx context.Context, id string) {
		in, err := s.store.GetIntegration(ctx, id)
		if err != nil {
			return
		}
		if progress != nil {
			progress(in.Name, false)
			defer progress(in.Name, true)
		}
		s.check(ctx, id, true)
	}}
	sched.CheckAll(ctx, ids)
	out := make([]IntegrationView, 0, len(ids))
	for _, id := range ids {
		v, err := s.Get(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	sortViews(out, s.Language(ctx))
	return out, nil
}

// CheckOne is the scheduler's background check: a transient failure after
// a healthy state is confirmed by the next check before it is shown.
func (s *Service) CheckOne(ctx context.Context, id string) { s.check(ctx, id, false) }

func (s *Service) check(ctx context.Context, id string, explicit bool) {
	in, err := s.store.GetIntegration(ctx, id)
	if err != nil {
		return
	}
	checking := s.View(in)
	checking.Status, checking.Severity = integration.StatusChecking, integration.Severity(integration.StatusChecking)
	s.emit(EventIntegrationChanged, checking)
	probe := func() probeResult { return s.probe1(ctx, in) }
	var res probeResult
	if p, err := s.provider(in); err == nil && explicit && health.Healthy(in.Status) {
		res = s.recheck(ctx, p, probe)
	} else {
		res = probe()
	}
	s.apply(ctx, in, res, explicit)
}

// recheck is the policy's Recheck for a probe that learns more than a
// verdict: it returns the last probe's result.
func (s *Service) recheck(ctx context.Context, p catalog.Provider, probe func() probeResult) probeResult {
	var res probeResult
	s.policy.Recheck(ctx, time.Duration(p.MinInterval), func() health.Verdict {
		res = probe()
		return res.verdict
	})
	return res
}

// probeResult is a verdict plus what the probe learned.
type probeResult struct {
	verdict health.Verdict
	obs     health.Observation
	expiry  time.Time
	scopes  []string
	// update is a Commerce Intelligence answer to keep once the outcome is
	// recorded.
	update *updateRecord
	// meta is the integration's kept metadata after the probe (nil: not
	// looked at); unauthorized says the credential was refused (401).
	meta         map[string]string
	unauthorized bool
	// identity is the who-am-I answer's JSON (in memory only).
	identity any
}

func (s *Service) probe1(ctx context.Context, in integration.Integration) probeResult {
	p, err := s.provider(in)
	if err != nil {
		return probeResult{verdict: health.Verdict{Status: integration.StatusError, Cause: integration.CauseAppProblem, Problem: integration.AsProblem(err)}}
	}
	ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	switch in.Kind {
	case integration.KindOAuth2:
		return s.probeOAuth(ctx, in, p)
	case integration.KindAPIKey:
		key, err := s.secrets.Get(ctx, in.ID, secrets.SlotAPIKey)
		if err != nil {
			return errResult(err)
		}
		if readsUpdateCycle(p) {
			return s.probeUpdateCycle(ctx, in, p, key, true)
		}
		return s.probeKey(ctx, in, p, key)
	case integration.KindDatabase:
		pw, err := s.secrets.Get(ctx, in.ID, secrets.SlotPassword)
		if errors.Is(err, secrets.ErrNotFound) && p.SecretOptional(in.Settings) {
			err = nil // a server without authentication
		}
		if err != nil {
			return errResult(err)
		}
		return s.probeDB(ctx, in, p, pw, "")
	}
	return errResult(errors.New("unknown kind"))
}

// errResult classifies a failure before or instead of a probe. Keychain
// errors are mapped here, for every caller: a keychain failure met on the
// way (the client secret, while setting up OAuth) is the keychain's state,
// never "a problem inside Relink".
func errResult(err error) probeResult {
	o := health.Observation{Err: keychainErr(err), Now: time.Now()}
	return probeResult{verdict: health.Classify(o), obs: o}
}

// keychainErr maps keychain sentinels to the classifier's.
func keychainErr(err error) error {
	switch {
	case errors.Is(err, secrets.ErrNotFound), errors.Is(err, secrets.ErrCorrupt):
		return health.ErrCredentialMissing
	case errors.Is(err, secrets.ErrLocked):
		return health.ErrKeychainLocked
	case errors.Is(err, secrets.ErrUnavailable):
		return health.ErrKeychainUnavailable
	case errors.Is(err, secrets.ErrTimeout):
		return health.ErrKeychainTimeout
	}
	return err
}

func (s *Service) probeKey(ctx context.Context, in integration.Integration, p catalog.Provider, key string) probeResult {
	req, err := s.probeRequest(p, in.Settings, "", key)
	if err != nil {
		return errResult(err)
	}
	return s.identityAndData(ctx, in, p, req, key, in.Metadata, nil)
}

// probeDB checks a database; sshKey is a bastion key not yet in the
// keychain (while adding), else the keychain's is used.
func (s *Service) probeDB(ctx context.Context, in integration.Integration, p catalog.Provider, password, sshKey string) probeResult {
	st := in.Settings
	port, _ := strconv.Atoi(st["port"])
	req := health.DBRequest{Engine: p.Engine, Host: st["host"], Port: port, Database: st["database"],
		User: st["user"], Password: password, TLSMode: st["tls_mode"], Schema: st["schema"], Tables: splitList(st["tables"])}
	req.CAFile, req.AuthSource, req.AuthMechanism = st["tls_ca_file"], st["auth_source"], st["auth_mechanism"]
	if c := st["collections"]; c != "" {
		req.Tables = splitList(c)
	}
	if cfg, ok := bastionOf(in); ok {
		key := sshKey
		if key == "" {
			var err error
			if key, err = s.secrets.Get(ctx, in.ID, secrets.SlotSSHKey); err != nil {
				return errResult(err)
			}
		}
		pin, _, err := s.store.Setting(ctx, pinKey(in.ID))
		if err != nil {
			// Without the pin a changed key would pass as a first use.
			return errResult(err)
		}
		cfg.PrivateKey, cfg.KnownKey = key, pin
		req.SSH = &cfg
	}
	o := s.db.ProbeDB(ctx, req)
	if req.SSH != nil && req.SSH.KnownKey == "" && o.SSHHostKey != "" && o.Err == nil {
		// Trust on first use: pin the bastion's key; a later change is
		// reported, never accepted silently.
		if err := s.store.SetSetting(ctx, pinKey(in.ID), o.SSHHostKey); err != nil {
			// Connected, but the next check could not tell a changed key
			// from a first use: this computer's storage is the problem.
			return probeResult{obs: o, verdict: health.Verdict{Status: integration.StatusError, Cause: integration.CauseLocalProblem,
				Problem: integration.NewProblem("problem.ssh_host_key_not_enrolled", "host", req.SSH.Host)}}
		}
	}
	return probeResult{verdict: health.Classify(o), obs: o}
}

// splitList reads a comma-separated setting (tables, collections).
func splitList(v string) []string {
	var out []string
	for _, t := range strings.Split(v, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func (s *Service) probeOAuth(ctx context.Context, in integration.Integration, p catalog.Provider) probeResult {
	rejected := ""
	var res probeResult
	// A token we thought valid may be refused (expired early, revoked
	// server-side): hand it back as rejected and ask again. The second try
	// may get another process's newer token, the third a real refresh.
	for attempt := 0; attempt < 3; attempt++ {
		tok, err := s.tokens.AccessToken(ctx, in.ID, rejected)
		var re *tokens.ReauthError
		if errors.As(err, &re) && re.Code == tokens.CodeNoRefreshToken {
			switch {
			case in.LastHealthy.IsZero():
				// Never authorized: nothing expired, it just needs a first grant.
				return probeResult{verdict: health.Verdict{Status: integration.StatusNeedsReauth, Problem: integration.NewProblem("problem.not_authorized")}}
			case in.Status == integration.StatusNeedsReauth:
				// Relink dropped the dead grant's secrets itself: nothing new
				// is known, so the reason the grant died stands.
				return probeResult{verdict: health.Verdict{Status: in.Status, Cause: in.Cause, Problem: in.Problem}}
			}
		}
		if err != nil {
			return failed(p, err)
		}
		res = s.whoami(ctx, in, p, tok, in.Metadata)
		if !res.unauthorized {
			break
		}
		rejected = tok.AccessToken
	}
	return res
}

// whoami checks an OAuth access token: who it belongs to and whether it
// reads the data (see identityAndData).
func (s *Service) whoami(ctx context.Context, in integration.Integration, p catalog.Provider, tok tokens.Token, meta map[string]string) probeResult {
	setup, err := s.oauthSetup(ctx, in, p)
	if err != nil {
		return failed(p, err)
	}
	res := probeResult{expiry: tok.Expiry, scopes: tok.Scopes}
	if setup.userinfo == "" {
		// Nothing to ask: a token that refreshes is all we can know.
		res.verdict = health.Classify(health.Observation{StatusCode: 200, RequiredScopes: in.RequiredScopes, GrantedScopes: tok.Scopes})
		return res
	}
	req, err := s.probeRequest(p, in.Settings, setup.userinfo, tok.AccessToken)
	if err != nil {
		return errResult(err)
	}
	var fallback []string
	if setup.oidc {
		// OpenID Connect Core §5.1: without the configured claim (email by
		// default), the account is the preferred username, else the subject.
		fallback = oidcAccountClaims
	}
	probed := s.identityAndData(ctx, in, p, req, tok.AccessToken, meta, tok.Scopes, fallback...)
	if len(probed.obs.GrantedScopes) > 0 {
		res.scopes = probed.obs.GrantedScopes
	}
	probed.expiry, probed.scopes = res.expiry, res.scopes
	return probed
}

// failed is the result of a check that failed before or at the token
// endpoint.
func failed(p catalog.Provider, err error) probeResult {
	return probeResult{verdict: readFailure(p, err), obs: health.Observation{Err: err, Now: time.Now()}}
}

// apply records a probe's outcome: a check event always, a status change
// when the state really changed. In background checks transient failures
// are confirmed before a healthy integration is shown broken (the row says
// it is checking again meanwhile), re-checked with backoff, and offline
// never changes a status at all. An explicit check records what it saw.
func (s *Service) apply(ctx context.Context, in integration.Integration, res probeResult, explicit bool) {
	now := s.clock.Now().UTC()
	s.saveUpdate(ctx, in.ID, res.update)
	d := s.policy.Observe(in, res.verdict, explicit, now)
	v := d.Verdict
	_ = s.mutate(ctx, in.ID, func(x *integration.Integration) (integration.Event, bool) {
		x.LastChecked = now
		ev := integration.Event{Kind: integration.EventCheck, NewStatus: v.Status, Cause: v.Cause}.WithProblem(v.Problem)
		if d.Hold {
			// Keep the last known state: offline, or not yet confirmed.
			ev.Detail = map[bool]string{true: "offline", false: "unconfirmed"}[d.Offline]
			// Offline explains the failure; the integration is not suspect.
			x.Unconfirmed = map[bool]*integration.Problem{true: nil, false: v.Problem}[d.Offline]
			return ev, true
		}
		x.Status, x.Cause, x.Problem, x.Unconfirmed = v.Status, v.Cause, v.Problem, nil
		if v.Status == integration.StatusConnected || v.Status == integration.StatusDegraded {
			x.LastHealthy = now
			if res.obs.Account != "" {
				x.Account = res.obs.Account
			}
		}
		if len(res.scopes) > 0 {
			x.GrantedScopes = res.scopes
		}
		if res.meta != nil {
			x.Metadata = res.meta
		}
		if !res.expiry.IsZero() {
			x.Expiry.AccessExpiresAt = res.expiry
		}
		return ev, true
	}, nil)
}

// NextDue is when the scheduler should check an integration again.
func (s *Service) NextDue(in integration.Integration, interval time.Duration) time.Time {
	p, _ := s.catalog.Get(in.Provider)
	return s.policy.NextDue(in, health.Cadence{Interval: interval, MinInterval: time.Duration(p.MinInterval), RefreshMargin: s.tokens.Margin()})
}

// Offline reports whether Relink considers the machine offline.
func (s *Service) Offline() bool { return s.policy.Offline() }
