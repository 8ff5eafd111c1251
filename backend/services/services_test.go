package services

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"relink/backend/catalog"
	"relink/backend/dbprobe"
	"relink/backend/i18n"
	"relink/backend/integration"
	"relink/backend/secrets"
	"relink/backend/store"
)

// keyProvider is a loopback API that accepts the keys in valid.
type keyProvider struct {
	*httptest.Server
	mu    sync.Mutex
	valid map[string]bool
	down  bool
	hits  int
}

func newKeyProvider(t *testing.T, keys ...string) *keyProvider {
	kp := &keyProvider{valid: map[string]bool{}}
	for _, k := range keys {
		kp.valid[k] = true
	}
	kp.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kp.mu.Lock()
		defer kp.mu.Unlock()
		kp.hits++
		if kp.down {
			w.WriteHeader(503)
			return
		}
		if !kp.valid[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":"invalid_token"}`)
			return
		}
		io.WriteString(w, `{"email":"analyst@example.com"}`)
	}))
	t.Cleanup(kp.Close)
	return kp
}

func (kp *keyProvider) set(down bool, keys ...string) {
	kp.mu.Lock()
	defer kp.mu.Unlock()
	kp.down = down
	kp.valid = map[string]bool{}
	for _, k := range keys {
		kp.valid[k] = true
	}
}

// newOAuthServer is a minimal authorization server answering at once:
// discovery, an authorization that redirects straight back with a code,
// tokens, revocation and a who-am-I.
func newOAuthServer(t testing.TB) *httptest.Server {
	var as *httptest.Server
	as = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/oauth-authorization-server":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"issuer":"`+as.URL+`","authorization_endpoint":"`+as.URL+`/authorize","token_endpoint":"`+as.URL+`/token","revocation_endpoint":"`+as.URL+`/revoke","userinfo_endpoint":"`+as.URL+`/me","code_challenge_methods_supported":["S256"]}`)
		case "/authorize":
			q := r.URL.Query()
			http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {"c"}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
		case "/token":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"at","refresh_token":"rt","token_type":"Bearer","expires_in":3600,"scope":"openid"}`)
		case "/me":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"email":"bench@example.com","scope":"openid"}`)
		}
	}))
	t.Cleanup(as.Close)
	return as
}

// addOAuth adds an OAuth integration on a fresh newOAuthServer, with a
// browser that completes authorizations on its own.
func addOAuth(t *testing.T, s *Service) (IntegrationView, *httptest.Server) {
	t.Helper()
	as := newOAuthServer(t)
	v, err := s.Add(context.Background(), AddRequest{Provider: "custom-oauth2", Name: "Analytics", Settings: map[string]string{"issuer": as.URL, "client_id": "relink"}})
	if err != nil {
		t.Fatal(err)
	}
	s.opener = callbackTimer{at: make(chan time.Time, 4)}
	return v, as
}

type recorder struct {
	mu     sync.Mutex
	events []string
	blobs  []string
}

func (r *recorder) Emit(name string, payload any) {
	b, _ := json.Marshal(payload)
	r.mu.Lock()
	r.events = append(r.events, name)
	r.blobs = append(r.blobs, string(b))
	r.mu.Unlock()
}

func newService(t *testing.T) (*Service, *secrets.Memory, *recorder) {
	t.Helper()
	return newServiceIn(t, t.TempDir())
}

// newServiceIn opens dir's data the way the app does (read-only when it
// cannot be written).
func newServiceIn(t *testing.T, dir string) (*Service, *secrets.Memory, *recorder) {
	t.Helper()
	st, err := store.OpenForApp(context.Background(), filepath.Join(dir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	mem := secrets.NewMemory()
	rec := &recorder{}
	s := New(Config{Store: st, Secrets: secrets.NewWithBackend("relink-test", time.Second, mem, nil), Catalog: cat, I18n: msgs,
		Emitter: rec, DataDir: dir, Sleep: noSleep, DB: dbprobe.Local{}})
	return s, mem, rec
}

// noSleep lets an explicit check's quick re-probes run without waiting.
func noSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func addKey(t *testing.T, s *Service, kp *keyProvider, name, key string) IntegrationView {
	t.Helper()
	v, err := s.Add(context.Background(), AddRequest{Provider: "custom-api-key", Name: name,
		Settings: map[string]string{"test_url": kp.URL + "/me", "account_path": "email"}, Secret: key})
	if err != nil {
		t.Fatalf("Add: %v", err)
	}
	return v
}

func TestViewNamesTheSecretAReauthorizationAsksFor(t *testing.T) {
	s, _, _ := newService(t)
	for _, tc := range []struct {
		kind integration.Kind
		want string
	}{
		{integration.KindAPIKey, secrets.SlotAPIKey},
		{integration.KindDatabase, secrets.SlotPassword},
		{integration.KindOAuth2, ""},
	} {
		if got := s.View(integration.Integration{ID: "x", Kind: tc.kind}).ReauthField; got != tc.want {
			t.Errorf("View(kind %s).ReauthField = %q; want %q", tc.kind, got, tc.want)
		}
	}
}

func TestAPIKeyLifecycle(t *testing.T) {
	ctx := context.Background()
	s, mem, _ := newService(t)
	kp := newKeyProvider(t, "key-1")
	v := addKey(t, s, kp, "Reporting API", "key-1")
	if v.Status != integration.StatusConnected || v.Account != "analyst@example.com" {
		t.Fatalf("after add got %s/%q; want connected as analyst", v.Status, v.Account)
	}
	kp.set(false, "key-2")
	views, err := s.Check(ctx, v.ID)
	// A rotated key is not an expired token: the user enters a new key.
	if err != nil || views[0].Status != integration.StatusNeedsReauth || views[0].Cause != integration.CauseAccessRevoked ||
		views[0].Problem == nil || views[0].Problem.Code != "problem.api_key_rejected" {
		t.Fatalf("after rotation got %+v, %v; want needs_reauth/access_revoked, problem.api_key_rejected", views, err)
	}
	if _, err := s.SubmitSecret(ctx, v.ID, "wrong"); err == nil {
		t.Fatalf("a wrong key was accepted")
	}
	if got, _ := s.secrets.Get(ctx, v.ID, secrets.SlotAPIKey); got != "key-1" {
		t.Errorf("wrong key was saved: keychain holds %q", got)
	}
	v, err = s.SubmitSecret(ctx, v.ID, "key-2")
	if err != nil || v.Status != integration.StatusConnected {
		t.Fatalf("repair got %s, %v; want connected", v.Status, err)
	}
	// The view names the slot the repair wrote: the window and the CLI
	// ask for that field without deriving it themselves.
	if got, _ := s.secrets.Get(ctx, v.ID, v.ReauthField); got != "key-2" {
		t.Errorf("slot %q named by the view holds %q; want the new key", v.ReauthField, got)
	}
	page, _ := s.History(ctx, HistoryFilter{IntegrationID: v.ID})
	kinds := map[integration.EventKind]bool{}
	for _, e := range page.Events {
		kinds[e.Kind] = true
	}
	for _, k := range []integration.EventKind{integration.EventCreated, integration.EventCheck, integration.EventStatusChange, integration.EventReauthorize, integration.EventError} {
		if !kinds[k] {
			t.Errorf("history lacks a %s event", k)
		}
	}
	var removed []string
	s.OnRemoved(func(id string) { removed = append(removed, id) })
	if _, err := s.Remove(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	if mem.Len() != 0 {
		t.Errorf("%d keychain items left after remove", mem.Len())
	}
	if want := []string{v.ID}; !slices.Equal(removed, want) {
		t.Errorf("OnRemoved told %v; want %v", removed, want)
	}
}

func TestAddRejectsBadInputAndLeavesNothing(t *testing.T) {
	ctx := context.Background()
	s, mem, _ := newService(t)
	kp := newKeyProvider(t, "good")
	for _, tc := range []struct {
		name string
		req  AddRequest
		code string
	}{
		{"unknown provider", AddRequest{Provider: "nope", Name: "x", Secret: "good"}, "error.unknown_provider"},
		{"missing setting", AddRequest{Provider: "custom-api-key", Name: "x", Secret: "good"}, "error.field_required"},
		{"invalid url", AddRequest{Provider: "custom-api-key", Name: "x", Settings: map[string]string{"test_url": "ftp://x"}, Secret: "good"}, "error.field_invalid"},
		{"no secret", AddRequest{Provider: "custom-api-key", Name: "x", Settings: map[string]string{"test_url": kp.URL}}, "error.secret_required"},
		{"wrong secret", AddRequest{Provider: "custom-api-key", Name: "x", Settings: map[string]string{"test_url": kp.URL}, Secret: "bad"}, "problem.api_key_rejected"},
		{"empty name", AddRequest{Provider: "custom-api-key", Name: " ", Settings: map[string]string{"test_url": kp.URL}, Secret: "good"}, "error.name_required"},
	} {
		_, err := s.Add(ctx, tc.req)
		var p *integration.Problem
		if !errors.As(err, &p) || p.Code != tc.code {
			t.Errorf("%s: got %v; want %s", tc.name, err, tc.code)
		}
	}
	all, _ := s.ListIntegrations(ctx)
	if len(all) != 0 || mem.Len() != 0 {
		t.Errorf("half-created: %d integrations, %d keychain items", len(all), mem.Len())
	}
}

func TestTransientFailureIsConfirmedBeforeCryingWolf(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	kp := newKeyProvider(t, "k")
	v := addKey(t, s, kp, "API", "k")
	kp.set(true, "k")
	background := func() IntegrationView {
		t.Helper()
		s.CheckOne(ctx, v.ID)
		got, err := s.Get(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := background(); got.Status != integration.StatusChecking || !got.Rechecking {
		t.Errorf("one background 503 got %s (rechecking %v); want checking again until confirmed, neither connected nor error", got.Status, got.Rechecking)
	}
	if got := background(); got.Status != integration.StatusError || got.Cause != integration.CauseProviderIssue || got.Rechecking {
		t.Errorf("second 503 got %s/%s (rechecking %v); want error/provider_issue", got.Status, got.Cause, got.Rechecking)
	}
	kp.set(false, "k")
	if got := background(); got.Status != integration.StatusConnected {
		t.Errorf("recovery got %s; want connected on the first success", got.Status)
	}
}

// The frontend never receives a secret: every view and event payload is
// searched for the secrets used.
func TestBoundResultsNeverCarrySecrets(t *testing.T) {
	ctx := context.Background()
	s, _, rec := newService(t)
	kp := newKeyProvider(t, "sk_test_SECRETKEY123")
	v := addKey(t, s, kp, "API", "sk_test_SECRETKEY123")
	kp.set(false, "sk_test_SECRETKEY456")
	s.Check(ctx, v.ID)
	s.SubmitSecret(ctx, v.ID, "sk_test_SECRETKEY456")
	list, _ := s.ListIntegrations(ctx)
	page, _ := s.History(ctx, HistoryFilter{})
	settings, _ := s.Settings(ctx)
	for _, out := range []any{list, page, settings, s.ListProviders(), s.Storage(), rec.blobs} {
		b, _ := json.Marshal(out)
		for _, secret := range []string{"SECRETKEY123", "SECRETKEY456"} {
			if strings.Contains(string(b), secret) {
				t.Errorf("%T carries a secret", out)
			}
		}
	}
	// Every exported method of the window binding returns secret-free
	// types: no field may be named like a credential.
	for _, typ := range []reflect.Type{reflect.TypeOf(IntegrationView{}), reflect.TypeOf(HistoryPage{}),
		reflect.TypeOf(Settings{}), reflect.TypeOf(StorageView{}), reflect.TypeOf(RemoveResult{}), reflect.TypeOf(ProviderView{})} {
		for i := 0; i < typ.NumField(); i++ {
			n := strings.ToLower(typ.Field(i).Name)
			if strings.Contains(n, "token") || strings.Contains(n, "secret") || strings.Contains(n, "password") || n == "key" {
				t.Errorf("%s.%s looks like a credential", typ.Name(), typ.Field(i).Name)
			}
		}
	}
}

func TestSettingsValidation(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	bad := DefaultSettings()
	bad.RetentionDays = 0
	if _, err := s.SaveSettings(ctx, bad); err == nil {
		t.Errorf("retention 0 accepted")
	}
	bad = DefaultSettings()
	bad.Language = "xx"
	if _, err := s.SaveSettings(ctx, bad); err == nil {
		t.Errorf("unknown language accepted")
	}
	good := DefaultSettings()
	good.Language = "es"
	if _, err := s.SaveSettings(ctx, good); err != nil {
		t.Fatal(err)
	}
	if got := s.Language(ctx); got != "es" {
		t.Errorf("language got %q; want es", got)
	}
}

// The window sorts by the name key each view carries: it follows the
// language the settings choose, saved here or by another process.
func TestViewsCarryNameKeysInTheLanguageInEffect(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	for _, name := range []string{"ñu", "nz"} {
		if _, err := s.Add(ctx, AddRequest{Provider: "custom-api-key", Name: name, Settings: map[string]string{"test_url": "http://127.0.0.1:9/me"}, Secret: "k", NoVerify: true}); err != nil {
			t.Fatal(err)
		}
	}
	keys := func() map[string]string {
		vs, err := s.ListIntegrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, v := range vs {
			out[v.Name] = v.NameKey
			if got, err := s.Get(ctx, v.ID); err != nil || got.NameKey != v.NameKey {
				t.Errorf("Get(%s).NameKey = %q, %v; the list says %q", v.Name, got.NameKey, err, v.NameKey)
			}
		}
		return out
	}
	for _, tc := range []struct {
		lang string
		set  func(st Settings)
	}{
		{"es", func(st Settings) {
			if _, err := s.SaveSettings(ctx, st); err != nil {
				t.Fatal(err)
			}
		}},
		// As `relink settings` in another process would: the window hears
		// of it by reloading the list.
		{"en", func(st Settings) {
			raw, _ := json.Marshal(st)
			if err := s.store.SetSetting(ctx, settingsKey, string(raw)); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		st := DefaultSettings()
		st.Language = tc.lang
		tc.set(st)
		want := integration.NewNameKeys(tc.lang)
		got := keys()
		for _, name := range []string{"ñu", "nz"} {
			if got[name] != want.Key(name) {
				t.Errorf("%s: key of %q = %q; want %q", tc.lang, name, got[name], want.Key(name))
			}
		}
	}
}

func TestOfflineIsOneStateNotBroken(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	var ids []string
	var servers []*keyProvider
	for i := 0; i < 3; i++ {
		kp := newKeyProvider(t, "k")
		servers = append(servers, kp)
		ids = append(ids, addKey(t, s, kp, "API "+string(rune('A'+i)), "k").ID)
	}
	// Every probe now fails at connect: the machine lost its network.
	for _, kp := range servers {
		kp.Close()
	}
	for round := 0; round < 3; round++ {
		for _, id := range ids {
			s.CheckOne(ctx, id)
		}
		views, err := s.ListIntegrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range views {
			// The first failure, before the others show the network is
			// gone, may read "checking again"; once offline is known, each
			// keeps its last known state.
			if v.Status != integration.StatusConnected && (round > 0 || !v.Rechecking) {
				t.Errorf("round %d: %s turned %s while offline; want its last known state", round, v.Name, v.Status)
			}
		}
	}
	if !s.Offline() {
		t.Errorf("Offline() false after every probe failed at connect")
	}
	// Offline is this computer's problem, not each provider's (issue 19.7).
	page, err := s.History(ctx, HistoryFilter{IntegrationID: ids[0], Kinds: []string{string(integration.EventCheck)}, Limit: 1})
	if err != nil || len(page.Events) != 1 || page.Events[0].Cause != integration.CauseLocalProblem || page.Events[0].Message != "problem.offline" {
		t.Errorf("last check while offline: %+v, %v; want local_problem / problem.offline", page.Events, err)
	}
	// Asked explicitly, Relink says what it saw: no connection.
	views, _ := s.Check(ctx, ids[0])
	if got := views[0]; got.Status != integration.StatusError || got.Cause != integration.CauseLocalProblem || got.Problem == nil || got.Problem.Code != "problem.offline" {
		t.Errorf("explicit check while offline got %s/%s %+v; want error/local_problem problem.offline", got.Status, got.Cause, got.Problem)
	}
}

func TestOneServiceDownIsProviderIssueWithBackoff(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	up := newKeyProvider(t, "k")
	addKey(t, s, up, "Healthy", "k")
	down := newKeyProvider(t, "k")
	v := addKey(t, s, down, "Down", "k")
	down.set(true, "k")
	var gaps []time.Duration
	for i := 0; i < 4; i++ {
		views, _ := s.Check(ctx, v.ID)
		in, _ := s.store.GetIntegration(ctx, v.ID)
		gaps = append(gaps, s.NextDue(in, 15*time.Minute).Sub(in.LastChecked).Round(time.Second))
		if i >= 1 && (views[0].Status != integration.StatusError || views[0].Cause != integration.CauseProviderIssue) {
			t.Errorf("check %d: got %s/%s; want error/provider_issue", i, views[0].Status, views[0].Cause)
		}
	}
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute}
	for i := range want {
		if gaps[i] != want[i] {
			t.Errorf("backoff %d: got %v; want %v", i, gaps[i], want[i])
		}
	}
	if s.Offline() {
		t.Errorf("one service down made Relink think it is offline")
	}
}

// A failure seen by one process and confirmed by the next still counts:
// the unconfirmed failure is stored with the integration, not only in
// memory.
func TestFailureConfirmedAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	kp := newKeyProvider(t, "k")
	v := addKey(t, s, kp, "API", "k")
	kp.set(true, "k")
	s.CheckOne(ctx, v.ID)
	// A fresh Service over the same store, as a second process would be.
	fresh := New(Config{Store: s.store, Secrets: s.secrets, Catalog: s.catalog, I18n: s.i18n, DataDir: s.dataDir})
	fresh.CheckOne(ctx, v.ID)
	if got, _ := fresh.Get(ctx, v.ID); got.Status != integration.StatusError {
		t.Errorf("second failure in another process got %s; want error", got.Status)
	}
}

// TestRemoveWhileOfflineStillDeletesLocally: revoking at the provider is
// best effort; with the provider unreachable the removal still deletes
// the keychain items and the row, keeps the history, and says revocation
// did not happen.
func TestRemoveWhileOfflineStillDeletesLocally(t *testing.T) {
	ctx := context.Background()
	s, mem, _ := newService(t)
	v, as := addOAuth(t, s)
	if got, err := s.Reauthorize(ctx, v.ID, ReauthOptions{Timeout: 10 * time.Second}); err != nil || got.Status != integration.StatusConnected {
		t.Fatalf("Reauthorize: %s, %v; want connected", got.Status, err)
	}
	as.Close() // offline from here on
	// A fresh service, as after a restart: no discovery metadata cached.
	s = New(Config{Store: s.store, Secrets: s.secrets, Catalog: s.catalog, I18n: s.i18n, DataDir: s.dataDir})

	res, err := s.Remove(ctx, v.ID)
	if err != nil || res.Revoked || res.Problem == nil {
		t.Fatalf("Remove offline: %+v, %v; want no error, not revoked, a problem saying why", res, err)
	}
	if mem.Len() != 0 {
		t.Errorf("%d keychain items left after an offline remove; want 0", mem.Len())
	}
	if _, err := s.store.GetIntegration(ctx, v.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("integration after remove: %v; want ErrNotFound", err)
	}
	page, _ := s.History(ctx, HistoryFilter{Kinds: []string{string(integration.EventRemoved)}})
	if len(page.Events) != 1 || page.Events[0].Integration != "Analytics" {
		t.Fatalf("history: got %+v; want the removal kept", page.Events)
	}
	// Issue 19.2: history says access stays valid at the provider, and why
	// (a code, not a sentence).
	if e := page.Events[0]; e.Detail != "not_revoked" || e.Message != "problem.not_revoked_at" || e.Params["problem"] != res.Problem.Code {
		t.Errorf("removed event %+v; want not_revoked with the reason's code", e)
	}
}

// Issue 19.13: the window's edits share the CLI's name rules.
func TestUpdateRefusesInvisibleNamesAndStoresNFC(t *testing.T) {
	s, _, _ := newService(t)
	ctx := context.Background()
	v, _ := addOAuth(t, s)
	if _, err := s.Update(ctx, v.ID, "evil\u202egnp.exe", v.Settings); !errors.Is(err, integration.ErrInvalid) {
		t.Errorf("Update with a bidi override: %v; want refused", err)
	}
	got, err := s.Update(ctx, v.ID, "cafe\u0301", v.Settings)
	if err != nil || got.Name != "caf\u00e9" {
		t.Errorf("Update(NFD café) = %q, %v; want stored in NFC", got.Name, err)
	}
}

// Listeners may be registered while others are being told (the tray
// registers from its own goroutine while checks and bound calls notify),
// and a listener may register another. Run with -race.
func TestListenersRegisterDuringEmission(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	kp := newKeyProvider(t, "key-one")
	v := addKey(t, s, kp, "Ops API", "key-one")
	var told atomic.Int64
	s.OnStatusChanged(func(_, _ integration.Integration) {
		s.OnStatusChanged(func(_, _ integration.Integration) { told.Add(1) })
	})
	s.OnSettingsChanged(func(Settings) { s.OnSettingsChanged(func(Settings) {}) })
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			s.OnStatusChanged(func(_, _ integration.Integration) {})
			s.OnSettingsChanged(func(Settings) {})
		}
	}()
	st, err := s.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		// Each check flips the status: the key is refused, then accepted.
		kp.set(false, map[bool]string{true: "key-two", false: "key-one"}[i%2 == 0])
		if _, err := s.Check(ctx, v.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SaveSettings(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	if told.Load() == 0 {
		t.Error("a listener registered by a listener was never told of a change")
	}
}

// The "Refresh tokens this early" setting decides both when the next
// check comes ahead of an access token's expiry and whether a token that
// close to expiry is refreshed.
func TestRefreshMarginSetting(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newService(t)
	v, _ := addOAuth(t, s)
	if got, err := s.Reauthorize(ctx, v.ID, ReauthOptions{Timeout: 10 * time.Second}); err != nil || got.Status != integration.StatusConnected {
		t.Fatalf("Reauthorize: %s, %v; want connected", got.Status, err)
	}
	in, err := s.store.GetIntegration(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	expiry := in.Expiry.AccessExpiresAt // an hour from now (newOAuthServer)
	in.LastChecked = time.Now()
	refreshes := func() int {
		page, err := s.History(ctx, HistoryFilter{IntegrationID: v.ID, Kinds: []string{string(integration.EventRefresh)}})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Events)
	}
	for _, tt := range []struct {
		minutes int
		refresh bool // an hour before expiry is within the margin
	}{{10, false}, {45, false}, {90, true}} {
		st, err := s.Settings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		st.RefreshMarginMinutes = tt.minutes
		if _, err := s.SaveSettings(ctx, st); err != nil {
			t.Fatal(err)
		}
		margin := time.Duration(tt.minutes) * time.Minute
		if got, want := s.NextDue(in, 24*time.Hour), expiry.Add(-margin); !got.Equal(want) {
			t.Errorf("margin %d min: NextDue = %s; want %s (expiry %s minus the margin)", tt.minutes, got, want, expiry)
		}
		before := refreshes()
		if _, err := s.tokens.AccessToken(ctx, v.ID, ""); err != nil {
			t.Fatal(err)
		}
		if got := refreshes() > before; got != tt.refresh {
			t.Errorf("margin %d min with the token an hour from expiry: refreshed %v; want %v", tt.minutes, got, tt.refresh)
		}
	}
}
