package services

import (
	"context"
	"errors"
	"maps"

	"relink/backend/catalog"
	"relink/backend/health"
	"relink/backend/integration"
	"relink/backend/oauth"
	"relink/backend/secrets"
)

// identityAndData runs the who-am-I request and then, while the answer is
// healthy, checks what it holds and reads the data the user imports:
// identity gives the account, data access decides Connected.
//
// meta is the integration's kept metadata; values the provider gives in
// the who-am-I answer are added when missing and returned in res.meta.
// granted stands in for the granted scopes when the answer names none (the
// token response's scope). accountPaths are read, in order, when the
// probe's account path finds nothing and no account is known yet.
func (s *Service) identityAndData(ctx context.Context, in integration.Integration, p catalog.Provider, req health.HTTPRequest, credential string, meta map[string]string, granted []string, accountPaths ...string) probeResult {
	o, doc := health.ProbeHTTPDoc(ctx, s.probe, req)
	for _, path := range accountPaths {
		// A fallback only fills a missing account: the one named at
		// authorization (perhaps from the ID token) must not flip to a
		// lesser claim on every check.
		if o.Account != "" || in.Account != "" {
			break
		}
		o.Account = health.StringAt(doc, path)
	}
	if len(o.GrantedScopes) == 0 {
		o.GrantedScopes = granted
	}
	o.RequiredScopes = in.RequiredScopes
	res := probeResult{obs: o, verdict: readProbe(p, o), unauthorized: o.StatusCode == 401, identity: doc}
	if !health.Healthy(res.verdict.Status) {
		return res
	}
	res.meta = keepFromProbe(p, meta, doc)
	v, status := s.dataVerdict(ctx, in, p, res.meta, doc, credential)
	if v != nil {
		res.verdict, res.unauthorized = *v, status == 401
	}
	return res
}

// dataVerdict returns the verdict that overrules a healthy identity
// answer, or nil when the data is readable, with the data probe's HTTP
// status (0 when it did not run).
func (s *Service) dataVerdict(ctx context.Context, in integration.Integration, p catalog.Provider, meta map[string]string, identity any, credential string) (*health.Verdict, int) {
	es, err := p.ProbeExpectations(meta)
	if v := health.Unmet(identity, es); v != nil {
		return v, 0
	}
	if err != nil {
		return metaVerdict(err), 0
	}
	dr, ok, err := p.DataProbeRequest(in.Settings, meta)
	if !ok {
		return nil, 0
	}
	if err != nil {
		return metaVerdict(err), 0
	}
	pr, err := p.ProbeRequest(in.Settings)
	if err != nil {
		return metaVerdict(err), 0
	}
	// The credential goes where the provider's who-am-I sends it.
	pr.Method, pr.URL, pr.Header = dr.Method, dr.URL, dr.Header
	pr.AccountPath, pr.ScopesPath, pr.ScopesHeader = "", "", ""
	req := health.HTTPRequest(pr.WithCredential(credential))
	for h, field := range dr.SecretHeaders {
		v, err := s.secrets.Get(ctx, in.ID, field)
		if errors.Is(err, secrets.ErrNotFound) {
			// Not a lost grant: a setting only the user has is missing.
			return &health.Verdict{Status: integration.StatusError, Cause: integration.CauseLocalProblem,
				Problem: integration.NewProblem("problem.secret_field_missing", "field", field)}, 0
		}
		if err != nil {
			r := errResult(keychainErr(err)).verdict
			return &r, 0
		}
		req.Header.Set(h, v)
	}
	o, doc := health.ProbeHTTPDoc(ctx, s.probe, req)
	// The data API speaks the provider's dialect too.
	if v := readProbe(p, o); v.Status != integration.StatusConnected {
		return &v, o.StatusCode
	}
	return health.Unmet(doc, dr.Expect), o.StatusCode
}

// metaVerdict explains a data probe that cannot be built: a value the
// provider gives at authorization is missing (authorized before Relink
// kept it), so only a reauthorization can check the data.
func metaVerdict(err error) *health.Verdict {
	if errors.Is(err, catalog.ErrMetadataMissing) {
		return &health.Verdict{Status: integration.StatusNeedsReauth, Problem: integration.NewProblem("problem.reauthorize_for_data")}
	}
	v := errResult(err).verdict
	return &v
}

// oidcAccountClaims are the userinfo claims that name the account when
// the configured one is absent.
var oidcAccountClaims = []string{"preferred_username", "sub"}

// oidcAccount names the account as OpenID Connect does: the configured
// claim (email by default), then preferred_username, then sub, each from
// userinfo, else from the verified ID token.
func oidcAccount(userinfo any, configured string, claims oauth.IDClaims) string {
	fromToken := map[string]string{"email": claims.Email, "preferred_username": claims.PreferredUsername, "sub": claims.Subject}
	for _, c := range append([]string{configured}, oidcAccountClaims...) {
		if v := health.StringAt(userinfo, c); v != "" {
			return v
		}
		if v := fromToken[c]; v != "" {
			return v
		}
	}
	return ""
}

// keepFromAuthorization returns the kept values an authorization handed
// over (token response, redirect), each checked against its pattern.
func keepFromAuthorization(p catalog.Provider, tok *oauth.Token) map[string]string {
	meta := map[string]string{}
	for _, from := range []string{"token", "redirect"} {
		for _, k := range p.KeepFrom(from) {
			if v, ok := k.Accept(tok.Params[k.Name]); ok {
				meta[k.Key] = v
			}
		}
	}
	return meta
}

// keepFromProbe adds the values the who-am-I answer holds that meta lacks:
// the first answer names the tenant chosen at authorization, and later
// answers must still list it.
func keepFromProbe(p catalog.Provider, meta map[string]string, doc any) map[string]string {
	out := maps.Clone(meta)
	if out == nil {
		out = map[string]string{}
	}
	for _, k := range p.KeepFrom("probe") {
		if out[k.Key] != "" {
			continue
		}
		if v, ok := k.Accept(health.StringAt(doc, k.Name)); ok {
			out[k.Key] = v
		}
	}
	return out
}

// keepNames are the token response members and redirect parameters the
// OAuth flow must hand back.
func keepNames(p catalog.Provider) []string {
	var out []string
	for _, from := range []string{"token", "redirect"} {
		for _, k := range p.KeepFrom(from) {
			out = append(out, k.Name)
		}
	}
	return out
}
