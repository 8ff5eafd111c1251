package server

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/storage"
)

// graceStore is fosite's in-memory store plus a grace window for rotated
// refresh tokens, as real providers offer it (Okta's grace period for token
// rotation, Auth0's reuse interval, Hydra's
// oauth2.grant.refresh_token.rotation_grace_period): a client that crashed
// after the server rotated its refresh token, but before it saved the new
// one, still holds the old one. Presented again within the window it
// redeems like the current token (a fresh pair, same grant family);
// after the window, or once the family was revoked, it is reuse and
// fosite revokes the family as before.
//
// fosite v0.49 leaves this to storage (see MemoryStore.RotateRefreshToken):
// its refresh handler treats ErrInactiveToken from GetRefreshTokenSession
// as reuse and calls RotateRefreshToken to retire the presented token, so
// those are the two methods that change here. Server.storeMu still
// serialises whole requests, which keeps the handler's read-then-rotate
// atomic; mu only guards this wrapper's own maps.
type graceStore struct {
	*storage.MemoryStore
	grace        func() time.Duration // the window in force now (refreshGraceMs)
	now          func() time.Time
	onGraceReuse func() // told when a retired token redeems within the window

	mu      sync.Mutex
	latest  map[string]string    // grant family (request ID) → signature of its newest refresh token
	retired map[string]time.Time // refresh token signature → when a rotation first replaced it
	revoked map[string]bool      // grant families revoked by reuse detection or /revoke
}

func newGraceStore(grace func() time.Duration, now func() time.Time, onGraceReuse func()) *graceStore {
	return &graceStore{MemoryStore: storage.NewMemoryStore(), grace: grace, now: now, onGraceReuse: onGraceReuse,
		latest: map[string]string{}, retired: map[string]time.Time{}, revoked: map[string]bool{}}
}

// CreateRefreshTokenSession remembers the newest token of each family, so a
// rotation can tell which token it retires.
func (g *graceStore) CreateRefreshTokenSession(ctx context.Context, signature, accessSignature string, req fosite.Requester) error {
	if err := g.MemoryStore.CreateRefreshTokenSession(ctx, signature, accessSignature, req); err != nil {
		return err
	}
	g.mu.Lock()
	g.latest[req.GetID()] = signature
	g.mu.Unlock()
	return nil
}

// GetRefreshTokenSession answers a retired token within the grace window as
// active, so the refresh handler redeems it instead of detecting reuse.
func (g *graceStore) GetRefreshTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, err := g.MemoryStore.GetRefreshTokenSession(ctx, signature, session)
	if errors.Is(err, fosite.ErrInactiveToken) && req != nil && g.inGrace(signature, req.GetID()) {
		return req, nil
	}
	return req, err
}

func (g *graceStore) inGrace(signature, family string) bool {
	g.mu.Lock()
	at, ok := g.retired[signature]
	revoked := g.revoked[family]
	g.mu.Unlock()
	grace := g.grace()
	return ok && !revoked && grace > 0 && g.now().Before(at.Add(grace))
}

// RotateRefreshToken retires the presented token and the family's newest
// one (they differ when a retired token redeems within the window; the
// newest then joins it in grace, so a client racing with the crashed one
// is not cut off either). The window runs from the first retirement:
// redeeming within it does not extend it.
func (g *graceStore) RotateRefreshToken(ctx context.Context, requestID, signature string) error {
	now := g.now()
	g.mu.Lock()
	_, again := g.retired[signature]
	for _, sig := range []string{signature, g.latest[requestID]} {
		if _, ok := g.retired[sig]; !ok && sig != "" {
			g.retired[sig] = now
		}
	}
	g.mu.Unlock()
	if again && g.onGraceReuse != nil {
		g.onGraceReuse()
	}
	return g.MemoryStore.RotateRefreshToken(ctx, requestID, signature)
}

// RevokeRefreshToken revokes the whole family for good: fosite calls it on
// detected reuse and on /revoke, after which no retired token of the family
// may redeem, grace or not.
func (g *graceStore) RevokeRefreshToken(ctx context.Context, requestID string) error {
	g.mu.Lock()
	g.revoked[requestID] = true
	g.mu.Unlock()
	return g.MemoryStore.RevokeRefreshToken(ctx, requestID)
}
