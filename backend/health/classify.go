// Package health checks integrations for real and decides what their
// state means: one probe per kind (HTTP who-am-I, PostgreSQL, MySQL, SQL
// Server, MongoDB), one pure classifier from what happened to (status,
// cause), a policy that reads outcomes over time without crying wolf
// (confirmation, backoff, offline, when each is due) and a scheduler that
// checks when due.
package health

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"relink/backend/catalog"
	"relink/backend/integration"
)

// Observation is what one probe saw. It never holds a credential.
type Observation struct {
	// At is where the answer came from: catalog.AtProbe (the default),
	// AtToken, AtData, AtRevoke or AtDiscovery.
	At string
	// APIKey marks a probe made with an API key rather than an OAuth token:
	// a rejected key is entered again, not reauthorized.
	APIKey bool
	// HTTP probes.
	StatusCode int
	// Header, JSON and Text are the provider's answer as catalogue rules
	// read it (see Read): response headers, the parsed body (nil when not
	// JSON) and the body as text, bounded.
	Header     http.Header
	JSON       any
	Text       string
	OAuthError string // invalid_token, insufficient_scope, invalid_grant…
	ErrorText  string // provider's error description, redacted, short
	RetryAfter string
	ServerDate time.Time
	// Database probes: SQLSTATE (PostgreSQL) or error number (MySQL, SQL
	// Server) as text.
	DBCode string
	// Identity and privileges.
	Account        string
	GrantedScopes  []string
	RequiredScopes []string
	// MissingPrivileges for databases (e.g. "SELECT on public.orders").
	MissingPrivileges []string
	// SSHHostKey is the bastion's fingerprint seen by a tunnelled probe,
	// for the caller to pin on first use.
	SSHHostKey string
	// Err is the transport or local error, if any.
	Err error
	// Now is the local time of the observation (clock-skew check).
	Now time.Time
}

// Verdict is the classifier's answer.
type Verdict struct {
	Status  integration.Status
	Cause   integration.Cause
	Problem *integration.Problem
}

// MaxSkew is how far a provider's Date header may be from local time
// before the local clock is blamed.
const MaxSkew = 5 * time.Minute

// Local error sentinels the classifier knows; the keychain's are passed
// through KeychainErrors so this package needs no import of it.
var (
	ErrKeychainUnavailable = errors.New("keychain unavailable")
	ErrKeychainLocked      = errors.New("keychain locked")
	ErrKeychainTimeout     = errors.New("keychain did not answer in time")
	ErrCredentialMissing   = errors.New("credential missing")
	ErrBodyTooLarge        = errors.New("response too large")
	ErrHostKeyChanged      = errors.New("SSH host key changed")
	ErrCAFile              = errors.New("CA certificate file unreadable")
)

func v(s integration.Status, c integration.Cause, code string, kv ...string) Verdict {
	return Verdict{Status: s, Cause: c, Problem: integration.NewProblem(code, kv...)}
}

// Classify maps an observation to (status, cause, problem). Unknown
// failures are app_problem, never connected.
func Classify(o Observation) Verdict {
	if o.Err != nil {
		return classifyErr(o)
	}
	if o.DBCode != "" {
		return classifyDB(o.DBCode)
	}
	if !o.ServerDate.IsZero() && !o.Now.IsZero() {
		if d := o.ServerDate.Sub(o.Now); d > MaxSkew || d < -MaxSkew {
			mins := int(d.Abs().Minutes())
			// Skew only explains auth failures; a healthy answer with a
			// skewed clock is still healthy but worth reporting.
			if o.StatusCode == 401 || o.StatusCode == 403 {
				return v(integration.StatusError, integration.CauseLocalProblem, "problem.clock_skew", "minutes", strconv.Itoa(mins))
			}
		}
	}
	switch code := o.StatusCode; {
	case code == 0:
		return v(integration.StatusError, integration.CauseAppProblem, "problem.app_error")
	case o.OAuthError == "invalid_client":
		// The user's OAuth client was refused (deleted, disabled, wrong
		// secret): it is fixed in their OAuth app, never by reauthorizing.
		return v(integration.StatusError, integration.CauseLocalProblem, "problem.oauth_client_invalid")
	case o.At == catalog.AtToken && code < 500 && (o.OAuthError == "invalid_grant" || o.OAuthError == "invalid_token" || o.OAuthError == "unauthorized_client"):
		if DeadGrantCause(o.OAuthError, o.ErrorText) == integration.CauseAccessRevoked {
			return v(integration.StatusNeedsReauth, integration.CauseAccessRevoked, "problem.access_revoked")
		}
		return v(integration.StatusNeedsReauth, integration.CauseTokenExpired, "problem.token_expired")
	case (o.At == catalog.AtToken || o.At == catalog.AtRevoke) && code == 401 && o.OAuthError == "":
		// The one 401 RFC 6749 §5.2 and RFC 7009 define there: the client
		// failed to authenticate. Never read as a dead grant, which would
		// drop the user's refresh token.
		return v(integration.StatusError, integration.CauseLocalProblem, "problem.oauth_client_invalid")
	case code == 429:
		if o.RetryAfter == "" {
			return v(integration.StatusError, integration.CauseProviderIssue, "problem.throttled")
		}
		return v(integration.StatusError, integration.CauseProviderIssue, "problem.rate_limited", "retry_after", o.RetryAfter)
	case code >= 500:
		return v(integration.StatusError, integration.CauseProviderIssue, "problem.provider_outage", "status", strconv.Itoa(code))
	case o.At == catalog.AtDiscovery && code != 200:
		// The issuer answers but serves no metadata there: the issuer URL
		// the user gave is not an authorization server's.
		return v(integration.StatusError, integration.CauseLocalProblem, "problem.issuer_metadata", "status", strconv.Itoa(code))
	case (o.At == catalog.AtToken || o.At == catalog.AtRevoke) && code >= 400:
		// Any other refusal there (invalid_request, invalid_scope, a code
		// of the provider's own, none at all): say what was seen; only the
		// codes above kill a grant.
		return v(integration.StatusError, integration.CauseProviderIssue, "problem.provider_unexpected", "status", strconv.Itoa(code))
	case code == 401 || o.OAuthError == "invalid_token" || o.OAuthError == "invalid_grant":
		if o.APIKey {
			return v(integration.StatusNeedsReauth, integration.CauseAccessRevoked, "problem.api_key_rejected")
		}
		if revoked(o.ErrorText) {
			return v(integration.StatusNeedsReauth, integration.CauseAccessRevoked, "problem.access_revoked")
		}
		return v(integration.StatusNeedsReauth, integration.CauseTokenExpired, "problem.token_expired")
	case code == 403 || o.OAuthError == "insufficient_scope":
		if strings.Contains(strings.ToLower(o.ErrorText), "deactivated") || strings.Contains(strings.ToLower(o.ErrorText), "removed") {
			return v(integration.StatusNeedsReauth, integration.CauseAccountChange, "problem.user_removed")
		}
		return v(integration.StatusDegraded, integration.CauseAccountChange, "problem.privileges_reduced")
	case code >= 200 && code < 300:
		if missing := integration.MissingScopes(o.RequiredScopes, o.GrantedScopes); len(missing) > 0 && len(o.GrantedScopes) > 0 {
			return v(integration.StatusDegraded, integration.CauseAccountChange, "problem.missing_scopes", "scopes", strings.Join(missing, ", "))
		}
		if len(o.MissingPrivileges) > 0 {
			return v(integration.StatusDegraded, integration.CauseAccountChange, "problem.db_privileges", "privileges", strings.Join(o.MissingPrivileges, ", "))
		}
		return Verdict{Status: integration.StatusConnected}
	case code == 404 && (o.At == "" || o.At == catalog.AtProbe):
		return v(integration.StatusError, integration.CauseAppProblem, "problem.probe_not_found")
	}
	return v(integration.StatusError, integration.CauseProviderIssue, "problem.provider_unexpected", "status", strconv.Itoa(o.StatusCode))
}

// rfc6749InvalidGrant is RFC 6749's own definition of invalid_grant, which
// fosite- and Hydra-based servers send with every invalid_grant: it names
// "expired" and "revoked" alike, so it tells nothing about which.
const rfc6749InvalidGrant = "the provided authorization grant (e.g., authorization code, resource owner credentials) or refresh " +
	"token is invalid, expired, revoked, does not match the redirection uri used in the authorization request, or was issued to another client."

// DeadGrantCause says why a grant the token endpoint refused died.
// Revoked only when the provider says so and does not also say expired
// (Google's "Token has been expired or revoked." could be either): telling
// an admin access was revoked when it merely lapsed sends them looking for
// the wrong thing.
func DeadGrantCause(code, description string) integration.Cause {
	if code == "unauthorized_client" {
		return integration.CauseAccessRevoked
	}
	d := strings.ReplaceAll(strings.ToLower(description), rfc6749InvalidGrant, "")
	if (strings.Contains(d, "revoked") || strings.Contains(d, "revocation")) && !strings.Contains(d, "expired") {
		return integration.CauseAccessRevoked
	}
	return integration.CauseTokenExpired
}

func revoked(text string) bool {
	t := strings.ToLower(text)
	return strings.Contains(t, "revoked") || strings.Contains(t, "revocation")
}

func classifyErr(o Observation) Verdict {
	err := o.Err
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	var classified *ClassifiedError
	if errors.As(err, &classified) {
		return classified.Verdict
	}
	if sv, ok := sshVerdict(err); ok {
		return sv
	}
	switch {
	case errors.Is(err, ErrKeychainLocked):
		return v(integration.StatusError, integration.CauseLocalProblem, "problem.keychain_locked")
	case errors.Is(err, ErrKeychainUnavailable):
		return v(integration.StatusError, integration.CauseLocalProblem, "problem.keychain_unavailable")
	case errors.Is(err, ErrKeychainTimeout):
		// Its own state: "unavailable" would send the user looking for a
		// missing Secret Service while an unlock prompt may be waiting.
		return v(integration.StatusError, integration.CauseLocalProblem, "problem.keychain_timeout")
	case errors.Is(err, ErrCredentialMissing):
		return v(integration.StatusNeedsReauth, integration.CauseTokenExpired, "problem.credential_missing")
	case errors.Is(err, ErrCAFile):
		var p *integration.Problem
		errors.As(err, &p)
		return Verdict{Status: integration.StatusError, Cause: integration.CauseLocalProblem, Problem: p}
	case errors.Is(err, ErrBodyTooLarge):
		return v(integration.StatusError, integration.CauseProviderIssue, "problem.response_too_large")
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		// A service that does not answer in time is the service's problem;
		// only when every integration fails so is the machine offline,
		// which the caller decides with the whole picture.
		return v(integration.StatusError, integration.CauseProviderIssue, "problem.timeout")
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return v(integration.StatusError, integration.CauseLocalProblem, "problem.dns", "host", dnsErr.Name)
		}
		return v(integration.StatusError, integration.CauseLocalProblem, "problem.offline")
	case strings.Contains(err.Error(), "server refused TLS connection"), strings.Contains(err.Error(), "server does not support TLS"):
		// tls_mode=require against a server that offers no TLS: a setting
		// on one side or the other must change.
		return v(integration.StatusError, integration.CauseLocalProblem, "problem.tls_not_offered")
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &recErr),
		strings.Contains(err.Error(), "tls:"), strings.Contains(err.Error(), "x509:"):
		return v(integration.StatusError, integration.CauseLocalProblem, "problem.tls")
	case errors.Is(err, syscallECONNREFUSED()), strings.Contains(err.Error(), "connection refused"):
		// The host answered but nothing listens: the service is down. When
		// every integration fails like this the machine is offline instead,
		// which the caller decides with the whole picture.
		return v(integration.StatusError, integration.CauseProviderIssue, "problem.connection_refused")
	case errors.As(err, &opErr), strings.Contains(err.Error(), "network is unreachable"), strings.Contains(err.Error(), "no route to host"):
		return v(integration.StatusError, integration.CauseLocalProblem, "problem.offline")
	}
	var p *integration.Problem
	if errors.As(err, &p) && strings.HasPrefix(p.Code, "problem.") {
		return Verdict{Status: integration.StatusError, Cause: integration.CauseAppProblem, Problem: p}
	}
	return v(integration.StatusError, integration.CauseAppProblem, "problem.app_error")
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// classifyDB maps database error codes: PostgreSQL SQLSTATE, MySQL and
// SQL Server error numbers. A rejected password means the credentials were
// changed (or the user removed) by an admin: reauthorize with new ones.
func classifyDB(code string) Verdict {
	switch code {
	// MongoDB's AuthenticationFailed (18); its Unauthorized (13) is read
	// per command by the probe, as a missing privilege:
	// https://www.mongodb.com/docs/manual/reference/error-codes/
	case "28P01", "28000", "1045", "18456", MongoCodePrefix + "18":
		return v(integration.StatusNeedsReauth, integration.CauseAccountChange, "problem.db_auth")
	case "42501", "1044", "1142", "1143", "229", "230":
		return v(integration.StatusDegraded, integration.CauseAccountChange, "problem.db_privileges", "privileges", "")
	case "3D000", "1049", "4060":
		return v(integration.StatusError, integration.CauseAccountChange, "problem.db_missing")
	case "53300", "1040", "57P03", "08006", "08001":
		return v(integration.StatusError, integration.CauseProviderIssue, "problem.db_unavailable", "code", code)
	}
	return v(integration.StatusError, integration.CauseAppProblem, "problem.db_error", "code", code)
}

// NetworkFailure reports a verdict that failed before reaching any
// service (DNS, connect, no route): the raw material of "offline".
func NetworkFailure(v Verdict) bool {
	if v.Problem == nil {
		return false
	}
	switch v.Problem.Code {
	case "problem.dns", "problem.offline", "problem.connection_refused", "problem.timeout", "problem.ssh_unreachable":
		return true
	}
	return false
}

// parseWWWAuthenticate reads error="…" from a Bearer challenge (RFC 6750).
func parseWWWAuthenticate(h string) (code, desc string) {
	for _, part := range strings.Split(h, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(part), "Bearer")), "=")
		if !ok {
			continue
		}
		val = strings.Trim(strings.TrimSpace(val), `"`)
		switch strings.TrimSpace(k) {
		case "error":
			code = val
		case "error_description":
			desc = val
		}
	}
	return code, desc
}

func retryAfter(h http.Header) string {
	return h.Get("Retry-After")
}
