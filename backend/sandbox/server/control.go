package server

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"time"
)

// Counters count the requests the sandbox answered, so tests can assert
// "exactly one refresh" without timing anything.
type Counters struct {
	Token     map[string]int `json:"tokenRequests"` // by grant_type
	Authorize int            `json:"authorizeRequests"`
	Revoke    int            `json:"revokeRequests"`
	WhoAmI    int            `json:"whoamiRequests"`
	APIWhoAmI int            `json:"apiWhoamiRequests"`
	// RefreshGrace counts refreshes that redeemed an already rotated
	// refresh token within the grace window.
	RefreshGrace int `json:"refreshGraceReuses"`
	// RefreshReuse counts refreshes refused as reuse of a rotated or
	// revoked refresh token; each one revokes that token's whole family.
	RefreshReuse int `json:"refreshReuseDetected"`
}

// Counters returns a snapshot of the request counters.
func (s *Server) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.countersLocked()
}

func (s *Server) countersLocked() Counters {
	c := s.counters
	c.Token = maps.Clone(s.counters.Token)
	return c
}

// apiKey is what an API key unlocks at /api/whoami.
type apiKey struct {
	Account string   `json:"account"`
	Scopes  []string `json:"scopes"`
}

// UnmarshalJSON takes either an account string (scopes ["read"]) or
// {"account": "...", "scopes": [...]}.
func (k *apiKey) UnmarshalJSON(b []byte) error {
	var account string
	if err := json.Unmarshal(b, &account); err == nil {
		*k = apiKey{Account: account}
	} else {
		type plain apiKey
		if err := json.Unmarshal(b, (*plain)(k)); err != nil {
			return err
		}
	}
	if k.Scopes == nil {
		k.Scopes = []string{"read"}
	}
	return nil
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// A failed write means the client went away; nothing to tell it.
	_ = json.NewEncoder(w).Encode(v)
}

// readControl parses a control POST (an empty body is fine) into v and
// answers the failure itself; false means the handler must stop.
func readControl(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use POST"})
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	// Unknown fields are typos in a test; saying so beats silently ignoring them.
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad control body: " + err.Error()})
		return false
	}
	return true
}

// stateBody is /control/state's POST body; absent fields stay as they are.
type stateBody struct {
	User         *string `json:"user"`
	DenyNext     *bool   `json:"denyNext"`
	Outage       *bool   `json:"outage"`
	OmitIss      *bool   `json:"omitIss"`
	SlowMS       *int    `json:"slowMs"`
	AccessTTLMS  *int    `json:"accessTtlMs"`
	RefreshTTLMS *int    `json:"refreshTtlMs"`
	// RefreshGraceMS lets a rotated refresh token redeem this long after
	// its rotation (0: strict reuse detection).
	RefreshGraceMS *int `json:"refreshGraceMs"`
	// ReplyDelayMS makes the token endpoint wait this long between doing
	// its work and answering.
	ReplyDelayMS *int `json:"replyDelayMs"`
	// ScopedClaims makes /whoami release claims as OpenID Connect Core
	// §5.4 says: email only with the email scope, the name only with
	// profile; the subject always.
	ScopedClaims *bool `json:"scopedClaims"`
}

// valid answers 400 for a body the server cannot honour.
func valid(w http.ResponseWriter, b stateBody) bool {
	msg := ""
	switch {
	case b.User != nil && *b.User == "":
		msg = "user must not be empty"
	case negative(b.SlowMS), negative(b.AccessTTLMS), negative(b.RefreshTTLMS), negative(b.RefreshGraceMS), negative(b.ReplyDelayMS):
		msg = "durations must not be negative"
	default:
		return true
	}
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": msg})
	return false
}

func negative(ms *int) bool { return ms != nil && *ms < 0 }

// controlState reads (GET) or changes (POST) the switches: current user,
// deny next authorization, outage, omit iss, slow responses, lifetimes,
// refresh grace window, token reply delay.
func (s *Server) controlState(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		var b stateBody
		if !readControl(w, r, &b) || !valid(w, b) {
			return
		}
		s.mu.Lock()
		set(&s.user, b.User)
		set(&s.denyNext, b.DenyNext)
		set(&s.outage, b.Outage)
		set(&s.omitIss, b.OmitIss)
		setMS(&s.slow, b.SlowMS)
		setMS(&s.refreshGrace, b.RefreshGraceMS)
		setMS(&s.replyDelay, b.ReplyDelayMS)
		set(&s.scopedClaims, b.ScopedClaims)
		s.mu.Unlock()
		if b.AccessTTLMS != nil {
			s.lifespans.access.Store(int64(time.Duration(*b.AccessTTLMS) * time.Millisecond))
		}
		if b.RefreshTTLMS != nil {
			s.lifespans.refresh.Store(int64(time.Duration(*b.RefreshTTLMS) * time.Millisecond))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"user": s.user, "denyNext": s.denyNext, "outage": s.outage, "omitIss": s.omitIss, "slowMs": s.slow.Milliseconds(),
		"refreshGraceMs": s.refreshGrace.Milliseconds(), "replyDelayMs": s.replyDelay.Milliseconds(), "scopedClaims": s.scopedClaims,
		"accessTtlMs":   time.Duration(s.lifespans.access.Load()).Milliseconds(),
		"refreshTtlMs":  time.Duration(s.lifespans.refresh.Load()).Milliseconds(),
		"reducedScopes": sortedKeys(s.reduced),
		"apiKeys":       len(s.apiKeys),
		"tokenRequests": maps.Clone(s.counters.Token),
	})
}

// sortedKeys is never nil, so JSON shows [] rather than null.
func sortedKeys(m map[string]bool) []string {
	return append([]string{}, slices.Sorted(maps.Keys(m))...)
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func setMS(dst *time.Duration, ms *int) {
	if ms != nil {
		*dst = time.Duration(*ms) * time.Millisecond
	}
}

// controlCounters returns the request counters (GET or POST).
func (s *Server) controlCounters(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Counters())
}

// controlRevokeUser revokes every grant a user made so far (an admin
// removed the app's access): refreshes fail with invalid_grant, access
// tokens get 401. Authorizing again works.
func (s *Server) controlRevokeUser(w http.ResponseWriter, r *http.Request) {
	var b struct {
		User string `json:"user"`
	}
	if !readControl(w, r, &b) {
		return
	}
	s.mu.Lock()
	if b.User == "" {
		b.User = s.user
	}
	s.revokedBefore[b.User] = time.Now()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]string{"revoked": b.User})
}

// controlExpire expires every access token issued so far; refresh tokens
// keep working.
func (s *Server) controlExpire(w http.ResponseWriter, r *http.Request) {
	if !readControl(w, r, &struct{}{}) {
		return
	}
	s.mu.Lock()
	s.expiredBefore = time.Now()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]bool{"expired": true})
}

// controlReduce sets the scopes taken away from future grants, from token
// responses and from what /whoami reports for existing tokens. An empty
// list gives everything back.
func (s *Server) controlReduce(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Remove []string `json:"remove"`
	}
	if !readControl(w, r, &b) {
		return
	}
	reduced := map[string]bool{}
	for _, sc := range b.Remove {
		reduced[sc] = true
	}
	s.mu.Lock()
	s.reduced = reduced
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string][]string{"removed": sortedKeys(reduced)})
}

// controlAPIKeys changes the valid API keys: "keys" replaces them all,
// then "revoke" removes some and "set" adds or replaces some, so a
// rotation is {"revoke":["old"],"set":{"new":"account"}}.
func (s *Server) controlAPIKeys(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Keys   map[string]apiKey `json:"keys"`
		Set    map[string]apiKey `json:"set"`
		Revoke []string          `json:"revoke"`
	}
	if !readControl(w, r, &b) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.Keys != nil {
		s.apiKeys = b.Keys
	}
	for _, k := range b.Revoke {
		delete(s.apiKeys, k)
	}
	maps.Copy(s.apiKeys, b.Set)
	writeJSON(w, http.StatusOK, map[string]int{"keys": len(s.apiKeys)})
}

// controlReset puts every switch, lifetime, scope reduction and counter
// back to how the server started. What already happened to tokens stays:
// grants, admin revocations, expirations and API keys.
func (s *Server) controlReset(w http.ResponseWriter, r *http.Request) {
	if !readControl(w, r, &struct{}{}) {
		return
	}
	s.lifespans.access.Store(int64(s.opts.AccessTTL))
	s.lifespans.refresh.Store(int64(s.opts.RefreshTTL))
	s.mu.Lock()
	s.user, s.denyNext, s.omitIss, s.outage, s.slow = s.opts.User, false, false, false, 0
	s.refreshGrace, s.replyDelay = 0, 0
	s.reduced = map[string]bool{}
	s.counters = Counters{Token: map[string]int{}}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]bool{"reset": true})
}
