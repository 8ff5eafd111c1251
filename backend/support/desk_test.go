package support

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relink/backend/catalog"
	"relink/backend/i18n"
	"relink/backend/integration"
	"relink/backend/oauth"
	"relink/backend/secrets"
	"relink/backend/services"
	"relink/backend/store"
	"relink/backend/tokens"
)

type opened struct{ urls []string }

func (o *opened) Open(u string) error { o.urls = append(o.urls, u); return nil }

// The values the keychain holds in these tests; ordinary words, so no
// scan mistakes them for real credentials.
const (
	keptKey    = "kept-in-keychain-one"
	keptAccess = "kept-in-keychain-two"
)

// newDesk builds a desk over a real store with one API-key integration
// and one OAuth integration whose access token the token manager stored.
// Both secrets also appear in stored text, as a careless provider answer
// could put them there.
func newDesk(t *testing.T) (*Desk, *store.Store, *opened) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, store.DBFile))
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
	keys := secrets.NewWithBackend("relink-test", time.Second, secrets.NewMemory(), nil)
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, in := range []integration.Integration{
		{ID: "key-1", Name: "Payments", Provider: "stripe", Kind: integration.KindAPIKey, Status: integration.StatusConnected,
			Settings: map[string]string{"note": "pasted " + keptKey}, CreatedAt: now, UpdatedAt: now},
		{ID: "oauth-1", Name: "Analytics", Provider: "google-analytics", Kind: integration.KindOAuth2, Status: integration.StatusError,
			Cause: integration.CauseProviderIssue, CreatedAt: now, UpdatedAt: now},
	} {
		echoed := map[string]string{"key-1": keptKey, "oauth-1": keptAccess}[in.ID]
		ev := integration.Event{Time: now, IntegrationID: in.ID, Integration: in.Name, Kind: integration.EventError,
			Detail: "the provider echoed " + echoed}
		if err := st.CreateIntegration(ctx, in, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := keys.Set(ctx, "key-1", secrets.SlotAPIKey, keptKey); err != nil {
		t.Fatal(err)
	}
	tm := tokens.NewManager(tokens.Config{Secrets: keys})
	if err := tm.Store(ctx, "oauth-1", &oauth.Token{AccessToken: keptAccess, Expiry: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	svc := services.New(services.Config{Store: st, Secrets: keys, Catalog: cat, I18n: msgs})
	o := &opened{}
	d := &Desk{Records: st, Secrets: keys, Catalog: cat, Views: svc, I18n: msgs, Opener: o,
		Now: func() time.Time { return now }, Getenv: func(string) string { return "" }, Version: "test", DataDir: dir}
	return d, st, o
}

// TestDiagnosticsFindsEverySecretItHolds: the API key and the access token
// inside the token manager's item are searched for, so the bundle holds
// neither although the stored text does.
func TestDiagnosticsFindsEverySecretItHolds(t *testing.T) {
	d, _, _ := newDesk(t)
	for _, id := range []string{"key-1", "oauth-1", ""} {
		var buf bytes.Buffer
		if err := d.Diagnostics(context.Background(), id, &buf); err != nil {
			t.Fatalf("Diagnostics(%q): %v", id, err)
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatalf("Diagnostics(%q) is no zip: %v", id, err)
		}
		var all strings.Builder
		for _, f := range zr.File {
			r, _ := f.Open()
			b, _ := io.ReadAll(r)
			all.Write(b)
		}
		for _, secret := range []string{keptKey, keptAccess} {
			if strings.Contains(all.String(), secret) {
				t.Errorf("Diagnostics(%q) contains %q", id, secret)
			}
		}
		if !strings.Contains(all.String(), "the provider echoed "+redacted) {
			t.Errorf("Diagnostics(%q) lost the history around the secret", id)
		}
	}
}

// TestReportProblemWritesAWholeBundleOrNone: the report is a readable zip
// in the data dir's reports folder, and a bundle that fails leaves no file.
func TestReportProblemWritesAWholeBundleOrNone(t *testing.T) {
	d, _, _ := newDesk(t)
	ctx := context.Background()
	reports := filepath.Join(d.DataDir, "reports")
	if _, err := d.ReportProblem(ctx, "no-such-id"); err == nil {
		t.Fatal("ReportProblem of an unknown integration succeeded")
	}
	if entries, _ := os.ReadDir(reports); len(entries) != 0 {
		t.Fatalf("a failed report left %d files in %s", len(entries), reports)
	}
	path, err := d.ReportProblem(ctx, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err != nil {
		t.Errorf("report %s is no zip: %v", path, err)
	}
	if entries, _ := os.ReadDir(reports); len(entries) != 1 || filepath.Dir(path) != reports {
		t.Errorf("reports folder holds %d files, report at %s; want the one report there", len(entries), path)
	}
}

func TestOpenSupport(t *testing.T) {
	ctx := context.Background()
	d, st, o := newDesk(t)
	// The provider's own page, as it is.
	if err := d.OpenSupport(ctx, "key-1"); err != nil || len(o.urls) != 1 || o.urls[0] != "https://support.stripe.com/" {
		t.Fatalf("OpenSupport = %v, opened %q; want Stripe's support page", err, o.urls)
	}
	// A company's own help desk gets the summary prefilled.
	if err := st.SetSetting(ctx, SettingURL, "https://help.example.com/new"); err != nil {
		t.Fatal(err)
	}
	if err := d.OpenSupport(ctx, "oauth-1"); err != nil || len(o.urls) != 2 {
		t.Fatalf("OpenSupport = %v, opened %q; want the help desk", err, o.urls)
	}
	u, err := url.Parse(o.urls[1])
	if err != nil || u.Host != "help.example.com" || !strings.HasPrefix(u.Query().Get("description"), "Analytics (Google Analytics") {
		t.Errorf("opened %q; want the help desk with the summary as description", o.urls[1])
	}
}
