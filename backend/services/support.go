package services

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

	"relink/backend/integration"
	"relink/backend/safefile"
	"relink/backend/secrets"
	"relink/backend/store"
	"relink/backend/support"
	"relink/backend/tokens"
)

// Diagnostics writes the redacted support bundle for one integration (or
// all when id is empty).
func (s *Service) Diagnostics(ctx context.Context, id string, w io.Writer) error {
	var ins []integration.Integration
	if id != "" {
		in, err := s.store.GetIntegration(ctx, id)
		if err != nil {
			return err
		}
		ins = []integration.Integration{in}
	} else {
		all, err := s.store.ListIntegrations(ctx)
		if err != nil {
			return err
		}
		ins = all
	}
	files := map[string]string{}
	manifest := map[string]string{
		"app": "relink", "version": s.version, "os": runtime.GOOS, "arch": runtime.GOARCH, "go": runtime.Version(),
		"desktop": s.getenv("XDG_CURRENT_DESKTOP"), "session": s.getenv("XDG_SESSION_TYPE"), "language": s.Language(ctx),
		"generated": s.clock.Now().UTC().Format("2006-01-02T15:04:05Z"), "schema": fmt.Sprint(store.SchemaVersion()),
	}
	files["manifest.json"] = jsonText(manifest)
	var known []string
	for _, in := range ins {
		dir := "integrations/" + in.ID + "/"
		files[dir+"integration.json"] = jsonText(in)
		if p, ok := s.catalog.Get(in.Provider); ok {
			files[dir+"provider.json"] = jsonText(p)
		}
		evs, err := s.store.QueryEvents(ctx, store.EventFilter{IntegrationID: in.ID, Limit: 500})
		if err != nil {
			return err
		}
		files[dir+"history.json"] = jsonText(evs)
		errs, _ := s.store.QueryEvents(ctx, store.EventFilter{IntegrationID: in.ID, Kinds: []integration.EventKind{integration.EventError}, Limit: 50})
		files[dir+"errors.json"] = jsonText(errs)
		// Every value in the keychain is checked against the bundle.
		for _, slot := range secrets.Slots {
			if v, err := s.secrets.Get(ctx, in.ID, slot); err == nil {
				known = append(known, v)
				if slot == secrets.SlotAccess {
					if at := tokens.StoredAccessToken(v); at != "" {
						known = append(known, at)
					}
				}
			}
		}
	}
	return support.WriteBundle(w, files, known, s.clock.Now())
}

func jsonText(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

// ReportProblem writes the bundle into the data dir's reports folder and
// returns its path.
func (s *Service) ReportProblem(ctx context.Context, id string) (string, error) {
	dir := filepath.Join(s.dataDir, "reports")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("reports dir: %w", err)
	}
	name := fmt.Sprintf("relink-diagnostics-%s-%s.zip", strings.TrimSpace(id), s.clock.Now().UTC().Format("20060102-150405"))
	path := filepath.Join(dir, name)
	// A refused or failed bundle leaves no partial zip behind; a file
	// system error names the path itself.
	if err := safefile.Write(path, 0o600, func(w io.Writer) error { return s.Diagnostics(ctx, id, w) }); err != nil {
		return "", err
	}
	return path, nil
}

// SupportSummary is a short, secret-free description for a ticket.
func (s *Service) SupportSummary(ctx context.Context, id string) (string, error) {
	in, err := s.store.GetIntegration(ctx, id)
	if err != nil {
		return "", err
	}
	lang := s.Language(ctx)
	v := s.View(in)
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s)\n", in.Name, v.ProviderName)
	fmt.Fprintf(&b, "%s: %s\n", s.i18n.T(lang, "cli.col.status", nil), s.i18n.T(lang, "status."+string(v.Status), nil))
	if v.Cause != "" {
		fmt.Fprintf(&b, "%s: %s\n", s.i18n.T(lang, "cli.col.cause", nil), s.i18n.T(lang, "cause."+string(v.Cause), nil))
	}
	if v.Problem != nil {
		fmt.Fprintf(&b, "%s\n", s.i18n.Problem(lang, v.Problem))
	}
	if v.LastHealthy != nil {
		fmt.Fprintf(&b, "Last healthy: %s\n", v.LastHealthy.Format("2006-01-02 15:04 MST"))
	}
	fmt.Fprintf(&b, "Relink %s, %s/%s\n", s.version, runtime.GOOS, runtime.GOARCH)
	return b.String(), nil
}

// OpenSupport opens the configured support page (default: the provider's)
// with the summary prefilled where the page takes it.
func (s *Service) OpenSupport(ctx context.Context, id string) error {
	in, err := s.store.GetIntegration(ctx, id)
	if err != nil {
		return err
	}
	target := ""
	if v, ok, _ := s.store.Setting(ctx, "support.url"); ok && v != "" {
		target = v
	} else if p, ok := s.catalog.Get(in.Provider); ok {
		target = p.Support
	}
	if target == "" {
		return integration.NewProblem("error.no_support_page")
	}
	summary, err := s.SupportSummary(ctx, id)
	if err != nil {
		return err
	}
	if u, err := url.Parse(target); err == nil && s.store != nil {
		if _, ok, _ := s.store.Setting(ctx, "support.url"); ok {
			q := u.Query()
			q.Set("description", summary)
			u.RawQuery = q.Encode()
			target = u.String()
		}
	}
	if s.opener == nil {
		return integration.NewProblem("error.no_browser")
	}
	return s.opener.Open(target)
}
