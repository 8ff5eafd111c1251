package oauth

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestDiscoveryCache(t *testing.T) {
	var fetched, broken atomic.Int32
	srv := metadataServer(t, func(base string) string {
		fetched.Add(1)
		if broken.Load() == 1 {
			return `{"issuer":"` + base + `"}` // no endpoints: refused
		}
		return `{"issuer":"` + base + `","authorization_endpoint":"` + base + `/a","token_endpoint":"` + base + `/t","code_challenge_methods_supported":["S256"]}`
	})
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	c := NewDiscoveryCache(srv.Client(), func() time.Time { return now })
	ask := func() error {
		_, err := c.Discover(context.Background(), srv.URL)
		return err
	}
	for _, step := range []struct {
		name      string
		advance   time.Duration
		broken    bool
		wantErr   bool
		wantFetch int32
	}{
		{"first use fetches", 0, false, false, 1},
		{"fresh: from the cache", 59 * time.Minute, false, false, 1},
		{"an hour old: fetched again", time.Minute, false, false, 2},
		{"a failed fetch is not kept", time.Hour, true, true, 3},
		{"so the next use asks again", 0, false, false, 4},
	} {
		now = now.Add(step.advance)
		if step.broken {
			broken.Store(1)
		} else {
			broken.Store(0)
		}
		err := ask()
		if (err != nil) != step.wantErr || fetched.Load() != step.wantFetch {
			t.Errorf("%s: err %v, fetched %d times; want error %v, %d fetches", step.name, err, fetched.Load(), step.wantErr, step.wantFetch)
		}
	}
}
