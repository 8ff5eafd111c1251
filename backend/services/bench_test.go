package services

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"relink/backend/catalog"
	"relink/backend/i18n"
	"relink/backend/secrets"
	"relink/backend/store"
)

// callbackTimer is a browser that follows the authorization redirect and
// records when the callback reached Relink.
type callbackTimer struct{ at chan time.Time }

func (c callbackTimer) Open(u string) error {
	go func() {
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := client.Get(u)
		if err != nil {
			return
		}
		loc := resp.Header.Get("Location")
		resp.Body.Close()
		c.at <- time.Now()
		if r, err := http.Get(loc); err == nil {
			r.Body.Close()
		}
	}()
	return nil
}

// BenchmarkOAuthCompletion measures from the callback reaching Relink to
// the token stored in the keychain and the integration marked connected.
// The provider answers instantly, so its own time is negligible. Under
// .ci/with-keyring the keychain is the real Secret Service.
func BenchmarkOAuthCompletion(b *testing.B) {
	as := newOAuthServer(b)
	dir := b.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, store.DBFile))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	cat, _ := catalog.Load()
	msgs, _ := i18n.Load()
	var kc SecretStore = secrets.NewWithBackend("relink-bench", time.Second, secrets.NewMemory(), nil)
	if os.Getenv("RELINK_TEST_KEYRING") != "" {
		kc = secrets.New("relink-bench", 5*time.Second)
	}
	timer := callbackTimer{at: make(chan time.Time, 1)}
	s := New(Config{Store: st, Secrets: kc, Catalog: cat, I18n: msgs, Opener: timer, DataDir: dir})
	v, err := s.Add(context.Background(), AddRequest{Provider: "custom-oauth2", Name: "bench", Settings: map[string]string{"issuer": as.URL, "client_id": "relink"}})
	if err != nil {
		b.Fatal(err)
	}
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := s.Reauthorize(context.Background(), v.ID, ReauthOptions{Timeout: 10 * time.Second})
		done := time.Now()
		if err != nil || got.Status != "connected" {
			b.Fatalf("reauth: %v %s", err, got.Status)
		}
		lat = append(lat, done.Sub(<-timer.at))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
}
