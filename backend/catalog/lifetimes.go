package catalog

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Duration is a lifetime written like a Go duration ("30m", "1h") or in
// whole days ("60d"), which is how providers document them.
type Duration time.Duration

// UnmarshalJSON reads "90d" or a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := parseDuration(s)
	*d = Duration(v)
	return err
}

// MarshalJSON writes the duration back in Go syntax.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func parseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n <= 0 || n > 36500 {
			return 0, errors.New("lifetime: want a positive number of days")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		return 0, errors.New("lifetime: want a positive duration like 30m or 60d")
	}
	return v, nil
}

// Lifetimes are a provider's documented credential lifetimes; zero means
// unknown or unlimited.
type Lifetimes struct {
	// AccessToken is the usual access token lifetime (a token without a
	// refresh token, like Meta's long-lived one, must be reauthorized
	// within it).
	AccessToken Duration `json:"accessToken,omitempty"`
	// RefreshToken is a hard limit counted from authorization, however
	// often the token is used.
	RefreshToken Duration `json:"refreshToken,omitempty"`
	// RefreshIdle is how long an unused refresh token survives; using it
	// (a refresh) starts the count again.
	RefreshIdle Duration `json:"refreshIdle,omitempty"`
	// Rotates means each refresh returns a new refresh token that must
	// replace the old one.
	Rotates bool `json:"rotates,omitempty"`
	// When overrides the refresh lifetime for some settings, like Google
	// apps still in "testing" publishing status.
	When []LifetimeRule `json:"when,omitempty"`
	Note string         `json:"note,omitempty"`
}

// LifetimeRule applies RefreshToken when setting Field equals Value.
type LifetimeRule struct {
	Field        string   `json:"field"`
	Value        string   `json:"value"`
	RefreshToken Duration `json:"refreshToken"`
}

// RefreshLifetime is the hard refresh token lifetime with default
// settings (0 = none known).
func (p Provider) RefreshLifetime() time.Duration { return p.RefreshLifetimeFor(nil) }

// RefreshLifetimeFor is the hard refresh token lifetime for an
// integration's validated settings (0 = none known): counted from
// authorization, it is when the integration will need the user again.
func (p Provider) RefreshLifetimeFor(settings map[string]string) time.Duration {
	for _, r := range p.Lifetimes.When {
		v := settings[r.Field]
		if v == "" {
			if f, ok := p.field(r.Field); ok {
				v = f.Default
			}
		}
		if v == r.Value {
			return time.Duration(r.RefreshToken)
		}
	}
	return time.Duration(p.Lifetimes.RefreshToken)
}
