package support

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"relink/backend/catalog"
	"relink/backend/i18n"
	"relink/backend/integration"
	"relink/backend/safefile"
	"relink/backend/secrets"
	"relink/backend/services"
	"relink/backend/store"
	"relink/backend/tokens"
)

// Records is the stored data a bundle and a summary are made of.
type Records interface {
	GetIntegration(ctx context.Context, id string) (integration.Integration, error)
	ListIntegrations(ctx context.Context) ([]integration.Integration, error)
	QueryEvents(ctx context.Context, f store.EventFilter) ([]integration.Event, error)
	Setting(ctx context.Context, key string) (string, bool, error)
}

// Secrets reads the keychain, so every value in it can be searched for.
type Secrets interface {
	Get(ctx context.Context, id, slot string) (string, error)
}

// Views says what the user sees of an integration, in their language.
type Views interface {
	View(in integration.Integration) services.IntegrationView
	Language(ctx context.Context) string
}

// Opener opens a URL in the user's browser.
type Opener interface {
	Open(url string) error
}

// SettingURL is the setting that replaces the provider's support page
// (a company's own help desk); it then gets the summary prefilled.
const SettingURL = "support.url"

// Desk is what the user reaches for when something is wrong: the
// diagnostics bundle (the window's "Report a problem" and `relink
// diagnostics`), a short summary for a ticket, and the support page.
type Desk struct {
	Records Records
	Secrets Secrets
	Catalog *catalog.Catalog
	Views   Views
	I18n    *i18n.Catalog
	Opener  Opener
	Now     func() time.Time
	Getenv  func(string) string
	Version string
	DataDir string // reports are saved in DataDir/reports
}

// Diagnostics writes the redacted support bundle for one integration (or
// all when id is empty).
func (d *Desk) Diagnostics(ctx context.Context, id string, w io.Writer) error {
	var ins []integration.Integration
	if id != "" {
		in, err := d.Records.GetIntegration(ctx, id)
		if err != nil {
			return err
		}
		ins = []integration.Integration{in}
	} else {
		all, err := d.Records.ListIntegrations(ctx)
		if err != nil {
			return err
		}
		ins = all
	}
	now := d.Now()
	files := map[string]string{}
	manifest := map[string]string{
		"app": "relink", "version": d.Version, "os": runtime.GOOS, "arch": runtime.GOARCH, "go": runtime.Version(),
		"desktop": d.Getenv("XDG_CURRENT_DESKTOP"), "session": d.Getenv("XDG_SESSION_TYPE"), "language": d.Views.Language(ctx),
		"generated": now.UTC().Format("2006-01-02T15:04:05Z"), "schema": fmt.Sprint(store.SchemaVersion()),
	}
	files["manifest.json"] = jsonText(manifest)
	var known []string
	for _, in := range ins {
		dir := "integrations/" + in.ID + "/"
		files[dir+"integration.json"] = jsonText(in)
		if p, ok := d.Catalog.Get(in.Provider); ok {
			files[dir+"provider.json"] = jsonText(p)
		}
		evs, err := d.Records.QueryEvents(ctx, store.EventFilter{IntegrationID: in.ID, Limit: 500})
		if err != nil {
			return err
		}
		files[dir+"history.json"] = jsonText(evs)
		errs, _ := d.Records.QueryEvents(ctx, store.EventFilter{IntegrationID: in.ID, Kinds: []integration.EventKind{integration.EventError}, Limit: 50})
		files[dir+"errors.json"] = jsonText(errs)
		known = append(known, d.secretsOf(ctx, in.ID)...)
	}
	return WriteBundle(w, files, known, now)
}

// secretsOf is every value the keychain holds for id, and the access
// token inside the token manager's item: all are searched for.
func (d *Desk) secretsOf(ctx context.Context, id string) []string {
	var out []string
	for _, slot := range secrets.Slots {
		v, err := d.Secrets.Get(ctx, id, slot)
		if err != nil {
			continue
		}
		out = append(out, v)
		if slot == secrets.SlotAccess {
			if at := tokens.StoredAccessToken(v); at != "" {
				out = append(out, at)
			}
		}
	}
	return out
}

func jsonText(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// ReportProblem saves the bundle in the data dir's reports folder and
// returns its path.
func (d *Desk) ReportProblem(ctx context.Context, id string) (string, error) {
	dir := filepath.Join(d.DataDir, "reports")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("reports dir: %w", err)
	}
	name := fmt.Sprintf("relink-diagnostics-%s-%s.zip", strings.TrimSpace(id), d.Now().UTC().Format("20060102-150405"))
	path := filepath.Join(dir, name)
	// A refused or failed bundle leaves no partial zip behind; a file
	// system error names the path itself.
	if err := safefile.Write(path, 0o600, func(w io.Writer) error { return d.Diagnostics(ctx, id, w) }); err != nil {
		return "", err
	}
	return path, nil
}

// Summary is a short, secret-free description for a ticket.
func (d *Desk) Summary(ctx context.Context, id string) (string, error) {
	in, err := d.Records.GetIntegration(ctx, id)
	if err != nil {
		return "", err
	}
	lang := d.Views.Language(ctx)
	v := d.Views.View(in)
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s)\n", in.Name, v.ProviderName)
	fmt.Fprintf(&b, "%s: %s\n", d.I18n.T(lang, "cli.col.status", nil), d.I18n.T(lang, "status."+string(v.Status), nil))
	if v.Cause != "" {
		fmt.Fprintf(&b, "%s: %s\n", d.I18n.T(lang, "cli.col.cause", nil), d.I18n.T(lang, "cause."+string(v.Cause), nil))
	}
	if v.Problem != nil {
		fmt.Fprintf(&b, "%s\n", d.I18n.Problem(lang, v.Problem))
	}
	if v.LastHealthy != nil {
		fmt.Fprintf(&b, "Last healthy: %s\n", v.LastHealthy.Format("2006-01-02 15:04 MST"))
	}
	fmt.Fprintf(&b, "Relink %s, %s/%s\n", d.Version, runtime.GOOS, runtime.GOARCH)
	return b.String(), nil
}

// OpenSupport opens the configured support page (default: the provider's)
// with the summary prefilled where the page takes it.
func (d *Desk) OpenSupport(ctx context.Context, id string) error {
	in, err := d.Records.GetIntegration(ctx, id)
	if err != nil {
		return err
	}
	target := ""
	custom, ok, _ := d.Records.Setting(ctx, SettingURL)
	if ok && custom != "" {
		target = custom
	} else if p, ok := d.Catalog.Get(in.Provider); ok {
		target = p.Support
	}
	if target == "" {
		return integration.NewProblem("error.no_support_page")
	}
	summary, err := d.Summary(ctx, id)
	if err != nil {
		return err
	}
	if u, err := url.Parse(target); err == nil && ok {
		q := u.Query()
		q.Set("description", summary)
		u.RawQuery = q.Encode()
		target = u.String()
	}
	if d.Opener == nil {
		return integration.NewProblem("error.no_browser")
	}
	return d.Opener.Open(target)
}
