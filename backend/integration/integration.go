// Package integration is Relink's domain model: what an integration is, the
// states it can be in and why. It does no I/O so every other package can
// depend on it.
package integration

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Kind is how an integration authenticates.
type Kind string

const (
	KindOAuth2   Kind = "oauth2"
	KindAPIKey   Kind = "api_key"
	KindDatabase Kind = "database"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	switch k {
	case KindOAuth2, KindAPIKey, KindDatabase:
		return true
	}
	return false
}

// Status is the health of one integration as the user sees it.
type Status string

const (
	StatusConnected   Status = "connected"
	StatusExpiring    Status = "expiring"
	StatusNeedsReauth Status = "needs_reauth"
	StatusDegraded    Status = "degraded"
	StatusError       Status = "error"
	StatusChecking    Status = "checking"
	StatusPaused      Status = "paused"
)

// AllStatuses lists every status from most to least severe.
var AllStatuses = []Status{
	StatusNeedsReauth, StatusError, StatusDegraded, StatusExpiring,
	StatusChecking, StatusPaused, StatusConnected,
}

// Severity orders statuses: higher means the user must act sooner. The
// tray icon, the page sort and the CLI exit code all rank with it.
func Severity(s Status) int {
	switch s {
	case StatusNeedsReauth:
		return 60
	case StatusError:
		return 50
	case StatusDegraded:
		return 40
	case StatusExpiring:
		return 30
	case StatusChecking:
		return 20
	case StatusPaused:
		return 10
	case StatusConnected:
		return 0
	}
	// An unknown status is treated as the worst so it is never hidden.
	return 100
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return Severity(s) != 100 }

// NeedsAttention reports whether the user should act on s; it decides the
// CLI exit code 3 and the tray menu entries.
func NeedsAttention(s Status) bool {
	switch s {
	case StatusNeedsReauth, StatusError, StatusDegraded, StatusExpiring:
		return true
	}
	return !s.Valid()
}

// Worst returns the most severe status in ss, or connected when empty.
func Worst(ss ...Status) Status {
	worst := StatusConnected
	for _, s := range ss {
		if Severity(s) > Severity(worst) {
			worst = s
		}
	}
	return worst
}

// Cause says why an integration is not healthy.
type Cause string

const (
	CauseNone          Cause = ""
	CauseTokenExpired  Cause = "token_expired"
	CauseAccessRevoked Cause = "access_revoked"
	CauseAccountChange Cause = "account_changed"
	CauseProviderIssue Cause = "provider_issue"
	CauseLocalProblem  Cause = "local_problem"
	CauseAppProblem    Cause = "app_problem"
)

// AllCauses lists every non-empty cause.
var AllCauses = []Cause{
	CauseTokenExpired, CauseAccessRevoked, CauseAccountChange,
	CauseProviderIssue, CauseLocalProblem, CauseAppProblem,
}

// Valid reports whether c is a known cause (including none).
func (c Cause) Valid() bool {
	if c == CauseNone {
		return true
	}
	for _, k := range AllCauses {
		if c == k {
			return true
		}
	}
	return false
}

// Problem is a user-facing message as a stable code plus parameters, so the
// frontend, CLI and tray render it in the user's language while logs and
// history keep the code. Params never hold secrets.
type Problem struct {
	Code   string            `json:"code"`
	Params map[string]string `json:"params,omitempty"`
}

// Error makes a Problem usable as an error; the text is language-neutral.
func (p *Problem) Error() string {
	if len(p.Params) == 0 {
		return p.Code
	}
	keys := make([]string, 0, len(p.Params))
	for k, v := range p.Params {
		keys = append(keys, k+"="+v)
	}
	sort.Strings(keys)
	return p.Code + " (" + strings.Join(keys, ", ") + ")"
}

// NewProblem builds a Problem from a code and key/value pairs.
func NewProblem(code string, kv ...string) *Problem {
	p := &Problem{Code: code}
	if len(kv) > 0 {
		p.Params = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			p.Params[kv[i]] = kv[i+1]
		}
	}
	return p
}

// Wrap builds a Problem whose sentence includes another one: the inner
// code goes in the "problem" param and its params are merged in, so
// history and --json keep codes (never a rendered sentence) and every
// renderer can still say the whole thing in the user's language.
func Wrap(code string, inner *Problem, kv ...string) *Problem {
	p := NewProblem(code, kv...)
	if inner == nil {
		return p
	}
	if p.Params == nil {
		p.Params = map[string]string{}
	}
	for k, v := range inner.Params {
		if _, taken := p.Params[k]; !taken {
			p.Params[k] = v
		}
	}
	p.Params["problem"] = inner.Code
	return p
}

// CodeInternal is the problem of an error Relink did not expect.
const CodeInternal = "error.internal"

// AsProblem extracts the Problem carried by err, or wraps err as an
// app_problem-level CodeInternal with its text as detail.
func AsProblem(err error) *Problem {
	if err == nil {
		return nil
	}
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	return NewProblem(CodeInternal, "detail", err.Error())
}

// Expiry holds what is known about when credentials stop working. Zero
// times mean unknown.
type Expiry struct {
	AccessExpiresAt  time.Time `json:"accessExpiresAt,omitempty"`
	RefreshExpiresAt time.Time `json:"refreshExpiresAt,omitempty"`
}

// Integration is one configured connection. It holds metadata only; every
// secret lives in the OS keychain keyed by ID.
type Integration struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Provider       string            `json:"provider"`
	Kind           Kind              `json:"kind"`
	Settings       map[string]string `json:"settings"`
	Account        string            `json:"account"`
	RequiredScopes []string          `json:"requiredScopes"`
	GrantedScopes  []string          `json:"grantedScopes"`
	Status         Status            `json:"status"`
	Cause          Cause             `json:"cause"`
	Problem        *Problem          `json:"problem,omitempty"`
	Paused         bool              `json:"paused"`
	LastChecked    time.Time         `json:"lastChecked,omitempty"`
	LastHealthy    time.Time         `json:"lastHealthy,omitempty"`
	Expiry         Expiry            `json:"expiry"`
	CreatedAt      time.Time         `json:"createdAt"`
	UpdatedAt      time.Time         `json:"updatedAt"`
	// Metadata is what the provider said at authorization that later
	// requests need (Salesforce's instance_url, QuickBooks' realmId, the
	// Xero tenant). Never a secret.
	Metadata map[string]string `json:"metadata,omitempty"`
	// Unconfirmed is a background check's failure that a second check has
	// not confirmed yet; Status still holds the state before it.
	Unconfirmed *Problem `json:"unconfirmed,omitempty"`
}

// MissingScopes returns required scopes not in granted, in required order.
func MissingScopes(required, granted []string) []string {
	have := make(map[string]bool, len(granted))
	for _, g := range granted {
		have[g] = true
	}
	var missing []string
	for _, r := range required {
		if !have[r] {
			missing = append(missing, r)
		}
	}
	return missing
}

// ExpiringWithin is how close a hard expiry must be to count as expiring.
const ExpiringWithin = 7 * 24 * time.Hour

// EffectiveStatus applies the rules that do not need a probe: a paused
// integration is paused, a healthy one whose hard expiry is near is
// expiring.
func EffectiveStatus(in Integration, now time.Time) Status {
	if in.Paused {
		return StatusPaused
	}
	if in.Status == StatusConnected && !in.Expiry.RefreshExpiresAt.IsZero() &&
		in.Expiry.RefreshExpiresAt.Sub(now) < ExpiringWithin {
		return StatusExpiring
	}
	return in.Status
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ErrInvalid marks integration input the user must correct.
var ErrInvalid = errors.New("invalid integration")

// CleanName is the one form a display name is stored and looked up in:
// trimmed and in Unicode NFC, so "café" typed precomposed or decomposed is
// the same integration.
func CleanName(name string) string {
	return norm.NFC.String(strings.TrimSpace(name))
}

// ValidateName checks a display name: non-empty, at most 80 characters,
// no control characters and nothing invisible or direction-changing
// (zero-width characters, a byte-order mark, bidi overrides), since two
// names that look the same, or one shown reversed, would mislead.
func ValidateName(name string) error {
	n := strings.TrimSpace(name)
	if n == "" {
		return fmt.Errorf("%w: %w", ErrInvalid, NewProblem("error.name_required"))
	}
	if len([]rune(n)) > 80 {
		return fmt.Errorf("%w: %w", ErrInvalid, NewProblem("error.name_too_long", "max", "80"))
	}
	rs := []rune(n)
	for i, r := range rs {
		switch {
		case unicode.IsControl(r):
			return fmt.Errorf("%w: %w", ErrInvalid, NewProblem("error.name_invalid"))
		case invisible(r) && !emojiJoiner(rs, i):
			return fmt.Errorf("%w: %w", ErrInvalid, NewProblem("error.name_invisible", "char", fmt.Sprintf("U+%04X", r)))
		}
	}
	return nil
}

// invisible reports format characters (Unicode category Cf: zero-width
// space and joiners, BOM, bidi embeddings, overrides and isolates, soft
// hyphen…) and line/paragraph separators: none of them show in a list.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r)
}

// emojiJoiner allows a zero-width joiner inside an emoji sequence
// ("👩‍💻"), where it is part of one visible symbol.
func emojiJoiner(rs []rune, i int) bool {
	if rs[i] != '\u200d' || i == 0 || i == len(rs)-1 {
		return false
	}
	prev, next := rs[i-1], rs[i+1]
	return (unicode.Is(unicode.So, prev) || unicode.Is(unicode.Sk, prev) || prev == '\ufe0f') && unicode.Is(unicode.So, next)
}

// ValidID reports whether id has the shape Relink generates.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// Slug turns a display name into an id-friendly prefix.
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		default:
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
				dash = true
			}
		}
		if b.Len() >= 40 {
			break
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if s == "" {
		s = "integration"
	}
	return s
}

// CodedError is a sentinel error (for errors.Is) that also carries the
// Problem shown to the user (for errors.As) and an optional cause.
type CodedError struct {
	Sentinel error
	Problem  *Problem
	Cause    error
}

// NewError builds a CodedError.
func NewError(sentinel, cause error, code string, kv ...string) error {
	return &CodedError{Sentinel: sentinel, Problem: NewProblem(code, kv...), Cause: cause}
}

func (e *CodedError) Error() string {
	if e.Cause != nil {
		return e.Sentinel.Error() + ": " + e.Cause.Error()
	}
	return e.Sentinel.Error()
}

func (e *CodedError) Is(target error) bool { return target == e.Sentinel }

func (e *CodedError) Unwrap() error { return e.Cause }

func (e *CodedError) As(target any) bool {
	if p, ok := target.(**Problem); ok {
		*p = e.Problem
		return true
	}
	return false
}
