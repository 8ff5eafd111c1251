// Package services is Relink's application layer: it composes the store,
// keychain, catalog, OAuth flow, token manager, health probes and check
// policy into the operations the window, tray and command line share.
package services

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"relink/backend/catalog"
	"relink/backend/dbhelper"
	"relink/backend/health"
	"relink/backend/i18n"
	"relink/backend/integration"
	"relink/backend/oauth"
	"relink/backend/secrets"
	"relink/backend/store"
	"relink/backend/tokens"
	"relink/backend/transport"
)

// Emitter sends events to the frontend (the window's page; nothing in the
// CLI).
type Emitter interface {
	Emit(name string, payload any)
}

// SecretStore is the keychain as the services use it.
type SecretStore interface {
	Get(ctx context.Context, id, slot string) (string, error)
	Set(ctx context.Context, id, slot, value string) error
	Delete(ctx context.Context, id, slot string) error
	DeleteAll(ctx context.Context, id string) error
}

// Opener opens a URL in the user's browser.
type Opener interface {
	Open(url string) error
}

// Config holds the service's dependencies.
type Config struct {
	Store   *store.Store
	Secrets SecretStore
	Catalog *catalog.Catalog
	I18n    *i18n.Catalog
	Opener  Opener
	Emitter Emitter
	// Clock is the time source; tests pass a fixed one.
	Clock tokens.Clock
	// HTTP is used for token, metadata and revocation requests; Probe for
	// health checks.
	HTTP  *http.Client
	Probe *http.Client
	// DB checks databases and SSH bastions (default: the helper installed
	// with this executable, package dbhelper).
	DB DBProber
	// DataDir holds the cross-process refresh locks.
	DataDir string
	Lang    func() string
	Getenv  func(string) string
	// Sleep waits between an explicit check's quick re-probes (default: a
	// timer); tests pass one that returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DBProber checks databases and SSH bastions.
type DBProber interface {
	ProbeDB(ctx context.Context, r health.DBRequest) health.Observation
	ScanHostKey(ctx context.Context, cfg health.SSHConfig) (string, error)
}

// Service is the application layer.
type Service struct {
	store   *store.Store
	secrets SecretStore
	catalog *catalog.Catalog
	i18n    *i18n.Catalog
	tokens  *tokens.Manager
	policy  *health.Policy
	opener  Opener
	clock   tokens.Clock
	http    *http.Client
	probe   *http.Client
	db      DBProber
	lang    func() string
	getenv  func(string) string
	dataDir string

	// emitter is fixed at construction: the window's (window.Page) drops
	// events until the page exists.
	emitter Emitter
	// listeners guards the listeners: the tray registers from its own
	// goroutine while bound calls and checks notify.
	listeners  sync.Mutex
	onSettings []func(Settings)
	onChange   []func(old, new integration.Integration)
	onRemoved  []func(id string)

	metadata *oauth.DiscoveryCache
	// names makes each view's name key in the language in effect.
	names *integration.NameKeys

	caMu     sync.Mutex
	caLoaded bool
	caFile   string // the extra-CA setting, read once and kept by SaveSettings
}

// New builds a Service; nil optional dependencies get harmless defaults.
func New(cfg Config) *Service {
	s := &Service{
		store: cfg.Store, secrets: cfg.Secrets, catalog: cfg.Catalog, i18n: cfg.I18n,
		opener: cfg.Opener, emitter: cfg.Emitter, clock: cfg.Clock, http: cfg.HTTP, probe: cfg.Probe, db: cfg.DB,
		lang: cfg.Lang, getenv: cfg.Getenv, dataDir: cfg.DataDir,
		policy: health.NewPolicy(health.PolicyConfig{Sleep: cfg.Sleep}),
	}
	if s.clock == nil {
		s.clock = systemClock{}
	}
	if s.lang == nil {
		s.lang = func() string { return i18n.Fallback }
	}
	if s.getenv == nil {
		s.getenv = func(string) string { return "" }
	}
	// One transport for every provider request: proxies from the
	// environment and the extra trusted roots of a TLS-inspecting gateway.
	rt := transport.New(s.extraCAFiles)
	if s.http == nil {
		s.http = oauth.NewHTTPClientWith(rt, 30*time.Second)
	}
	if s.db == nil {
		exe, _ := os.Executable()
		s.db = dbhelper.Client{Path: dbhelper.Locate(exe)}
	}
	if s.probe == nil {
		s.probe = health.NewProbeClientWith(rt, 20*time.Second)
	}
	s.metadata = oauth.NewDiscoveryCache(s.http, s.clock.Now)
	s.names = integration.NewNameKeys(i18n.Fallback)
	s.tokens = tokens.NewManager(tokens.Config{
		Secrets: cfg.Secrets, Refresher: refresher{s}, Clock: s.clock, LockDir: cfg.DataDir,
		IsNotFound: func(err error) bool { return errors.Is(err, secrets.ErrNotFound) },
		OnRefresh:  s.recordRefresh,
		Read:       s.readRefusal,
	})
	if s.store != nil {
		if st, err := s.Settings(context.Background()); err == nil {
			s.applySettings(st)
		}
	}
	return s
}

// extraCAFiles are the extra trusted roots: RELINK_EXTRA_CA and the
// setting, both optional.
func (s *Service) extraCAFiles() []string {
	s.caMu.Lock()
	defer s.caMu.Unlock()
	if !s.caLoaded && s.store != nil {
		// Read lazily: the first provider request, not start-up, pays.
		if st, err := s.Settings(context.Background()); err == nil {
			s.caFile, s.caLoaded = st.ExtraCAFile, true
		}
	}
	return []string{s.getenv(transport.EnvExtraCA), s.caFile}
}

func (s *Service) setExtraCA(file string) {
	s.caMu.Lock()
	defer s.caMu.Unlock()
	s.caFile, s.caLoaded = file, true
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// OnSettingsChanged registers a listener for saved settings. It may be
// called at any time, also from a listener.
func (s *Service) OnSettingsChanged(f func(Settings)) {
	s.listeners.Lock()
	s.onSettings = append(s.onSettings, f)
	s.listeners.Unlock()
}

// OnStatusChanged registers a listener for status transitions (tray,
// notifications). It may be called at any time, also from a listener.
func (s *Service) OnStatusChanged(f func(old, new integration.Integration)) {
	s.listeners.Lock()
	s.onChange = append(s.onChange, f)
	s.listeners.Unlock()
}

// OnRemoved registers a listener for integrations removed in this
// process (notifications forget them).
func (s *Service) OnRemoved(f func(id string)) {
	s.listeners.Lock()
	s.onRemoved = append(s.onRemoved, f)
	s.listeners.Unlock()
}

func (s *Service) removedListeners() []func(id string) {
	s.listeners.Lock()
	defer s.listeners.Unlock()
	return slices.Clip(s.onRemoved)
}

// settingsListeners and statusListeners are snapshots: listeners run
// without the lock, so one may register another.
func (s *Service) settingsListeners() []func(Settings) {
	s.listeners.Lock()
	defer s.listeners.Unlock()
	return slices.Clip(s.onSettings)
}

func (s *Service) statusListeners() []func(old, new integration.Integration) {
	s.listeners.Lock()
	defer s.listeners.Unlock()
	return slices.Clip(s.onChange)
}

func (s *Service) emit(name string, payload any) {
	if s.emitter != nil {
		s.emitter.Emit(name, payload)
	}
}

func newID(name string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return integration.Slug(name) + "-" + hex.EncodeToString(b)
}

// View derives what the UI shows from a stored integration.
func (s *Service) View(in integration.Integration) IntegrationView {
	now := s.clock.Now()
	status := integration.EffectiveStatus(in, now)
	v := IntegrationView{
		ID: in.ID, Name: in.Name, NameKey: s.names.Key(in.Name), Provider: in.Provider, ProviderName: in.Provider, Kind: in.Kind,
		Group: "saas", Icon: in.Provider, Settings: in.Settings, Account: in.Account,
		RequiredScopes: nonNil(in.RequiredScopes), GrantedScopes: nonNil(in.GrantedScopes),
		MissingScopes: nonNil(integration.MissingScopes(in.RequiredScopes, in.GrantedScopes)),
		Status:        status, Severity: integration.Severity(status), Cause: in.Cause, Problem: in.Problem,
		Paused: in.Paused, LastChecked: optTime(in.LastChecked), LastHealthy: optTime(in.LastHealthy),
		AccessExpiresAt: optTime(in.Expiry.AccessExpiresAt), RefreshExpiresAt: optTime(in.Expiry.RefreshExpiresAt),
		NeedsAttention: integration.NeedsAttention(status),
	}
	if status == integration.StatusExpiring && v.Cause == "" {
		v.Cause = integration.CauseTokenExpired
		v.Problem = integration.NewProblem("problem.expiring_soon", "date", in.Expiry.RefreshExpiresAt.UTC().Format(time.RFC3339))
	}
	if in.Unconfirmed != nil && !in.Paused {
		v.Status, v.Severity, v.NeedsAttention, v.Rechecking = integration.StatusChecking, integration.Severity(integration.StatusChecking), false, true
	}
	if v.Settings == nil {
		v.Settings = map[string]string{}
	}
	if in.Kind != integration.KindOAuth2 {
		v.ReauthField = secretSlot(in.Kind)
	}
	if p, ok := s.catalog.Get(in.Provider); ok {
		v.ProviderName, v.Group, v.Icon = p.Name, string(p.Group), p.Icon
		v.DocsURL = p.DocsURL()
		v.HelpURL = p.HelpURL(in.Cause)
		v.IntegrationsURL = p.IntegrationsPage
		if readsUpdateCycle(p) {
			v.LastUpdate = s.lastUpdateView(in)
		}
		switch {
		case integration.FixedElsewhere(in.Status, in.Cause, in.Problem) && in.Problem.Params[catalog.HelpParam] != "":
			// The catalogue rule names the page where the fix is made.
			v.HelpURL = in.Problem.Params[catalog.HelpParam]
		case integration.FixInOAuthApp(in.Problem):
			// The fix is in the user's OAuth client registration, which the
			// docs link opens.
			v.HelpURL = p.DocsURL()
		}
		v.Redirect = s.integrationRedirect(in)
	}
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ListIntegrations returns every integration, most severe first, then by
// name — the order the page, tray and CLI all show.
func (s *Service) ListIntegrations(ctx context.Context) ([]IntegrationView, error) {
	ins, err := s.store.ListIntegrations(ctx)
	if err != nil {
		return nil, fmt.Errorf("list integrations: %w", err)
	}
	// The whole list is what the window reloads after another process
	// (the CLI) changed the settings: its keys follow the language now.
	lang := s.Language(ctx)
	s.names.SetLanguage(lang)
	out := make([]IntegrationView, 0, len(ins))
	for _, in := range ins {
		out = append(out, s.View(in))
	}
	sortViews(out, lang)
	return out, nil
}

// sortViews puts views in the order every list shows them, in the
// language lang.
func sortViews(v []IntegrationView, lang string) {
	integration.SortByAttention(v, lang, func(v IntegrationView) (integration.Status, string) { return v.Status, v.Name })
}

// Find resolves a name or id.
func (s *Service) Find(ctx context.Context, ref string) (IntegrationView, error) {
	in, err := s.store.FindIntegration(ctx, integration.CleanName(ref))
	if err != nil {
		return IntegrationView{}, err
	}
	return s.View(in), nil
}

// Get returns one integration's view by id.
func (s *Service) Get(ctx context.Context, id string) (IntegrationView, error) {
	in, err := s.store.GetIntegration(ctx, id)
	if err != nil {
		return IntegrationView{}, err
	}
	return s.View(in), nil
}

// SetPaused pauses or resumes monitoring of one integration.
func (s *Service) SetPaused(ctx context.Context, id string, paused bool) (IntegrationView, error) {
	if err := s.writable(ctx); err != nil {
		return IntegrationView{}, err
	}
	var out integration.Integration
	err := s.mutate(ctx, id, func(in *integration.Integration) (integration.Event, bool) {
		in.Paused = paused
		return integration.Event{Kind: integration.EventSettingChange, Message: map[bool]string{true: "event.paused", false: "event.resumed"}[paused]}, true
	}, &out)
	if err != nil {
		return IntegrationView{}, err
	}
	if paused {
		s.policy.Forget(id)
	}
	return s.View(out), nil
}

// mutate loads, changes and saves one integration, records the event the
// change returns and tells listeners. It is the one place status changes
// are written, so history and live updates never miss one.
func (s *Service) mutate(ctx context.Context, id string, change func(*integration.Integration) (integration.Event, bool), out *integration.Integration) error {
	old, err := s.store.GetIntegration(ctx, id)
	if err != nil {
		return err
	}
	in := old
	in.Settings = cloneMap(old.Settings)
	ev, record := change(&in)
	now := s.clock.Now().UTC()
	in.UpdatedAt = now
	var evs []integration.Event
	if record {
		ev.Time, ev.IntegrationID, ev.Integration = now, in.ID, in.Name
		evs = append(evs, ev)
	}
	oldStatus := integration.EffectiveStatus(old, now)
	newStatus := integration.EffectiveStatus(in, now)
	if oldStatus != newStatus || old.Cause != in.Cause {
		evs = append(evs, integration.Event{
			Time: now, IntegrationID: in.ID, Integration: in.Name, Kind: integration.EventStatusChange,
			OldStatus: oldStatus, NewStatus: newStatus, Cause: in.Cause,
		}.WithProblem(in.Problem))
	}
	if err := s.store.UpdateIntegration(ctx, in, evs...); err != nil {
		return fmt.Errorf("save %s: %w", id, err)
	}
	s.emit(EventIntegrationChanged, s.View(in))
	// The tray follows "checking again" too, though the stored status
	// stays.
	if oldStatus != newStatus || (old.Unconfirmed == nil) != (in.Unconfirmed == nil) {
		for _, f := range s.statusListeners() {
			f(old, in)
		}
	}
	if out != nil {
		*out = in
	}
	return nil
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// History returns one page of events.
func (s *Service) History(ctx context.Context, f HistoryFilter) (HistoryPage, error) {
	sf, err := toStoreFilter(f)
	if err != nil {
		return HistoryPage{}, err
	}
	evs, err := s.store.QueryEvents(ctx, sf)
	if err != nil {
		return HistoryPage{}, fmt.Errorf("history: %w", err)
	}
	page := HistoryPage{Events: evs}
	if page.Events == nil {
		page.Events = []integration.Event{}
	}
	if n := len(evs); n > 0 && n == limitOf(sf.Limit) {
		page.NextBeforeID = evs[n-1].ID
	}
	return page, nil
}

func limitOf(l int) int {
	if l <= 0 {
		return 50
	}
	if l > 1000 {
		return 1000
	}
	return l
}

func toStoreFilter(f HistoryFilter) (store.EventFilter, error) {
	sf := store.EventFilter{IntegrationID: f.IntegrationID, Statuses: f.Statuses, Causes: f.Causes, BeforeID: f.BeforeID, Limit: limitOf(f.Limit)}
	for _, k := range f.Kinds {
		sf.Kinds = append(sf.Kinds, integration.EventKind(k))
	}
	parse := func(field, v string) (time.Time, error) {
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return time.Time{}, integration.NewProblem("error.field_invalid", "field", field)
		}
		return t, nil
	}
	var err error
	if sf.Since, err = parse("since", f.Since); err != nil {
		return sf, err
	}
	if sf.Until, err = parse("until", f.Until); err != nil {
		return sf, err
	}
	return sf, nil
}
