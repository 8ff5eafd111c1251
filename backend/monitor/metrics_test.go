package monitor

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"relink/backend/catalog"
	"relink/backend/i18n"
	"relink/backend/integration"
	"relink/backend/secrets"
	"relink/backend/services"
	"relink/backend/store"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func scrape(addr string) (string, error) {
	c := http.Client{Timeout: 2 * time.Second}
	res, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

// TestMetricsFollowTheSetting: the endpoint starts where the setting
// says, stops when it is cleared and moves when it changes; the --metrics
// flag wins over the setting.
func TestMetricsFollowTheSetting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, store.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	if err := st.CreateIntegration(ctx, integration.Integration{ID: "api-1", Name: "API", Provider: "custom-api-key", Kind: integration.KindAPIKey,
		Settings: map[string]string{"test_url": "https://127.0.0.1:9/me"}, Status: integration.StatusConnected, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	cat, _ := catalog.Load()
	msgs, _ := i18n.Load()
	svc := services.New(services.Config{Store: st, Secrets: secrets.NewWithBackend("relink-test", time.Second, secrets.NewMemory(), nil),
		Catalog: cat, I18n: msgs, DataDir: dir})
	first, second := freeAddr(t), freeAddr(t)
	set := func(addr string) {
		t.Helper()
		s, _ := svc.Settings(ctx)
		s.MetricsAddress = addr
		if _, err := svc.SaveSettings(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	set(first)
	m := New(Config{Service: svc, I18n: msgs})
	m.startMetrics(ctx)
	if body, err := scrape(first); err != nil || !strings.Contains(body, "# TYPE relink_integration_status gauge") {
		t.Fatalf("scrape %s = %v %q; want the metrics", first, err, body)
	}
	set("")
	if _, err := scrape(first); err == nil {
		t.Errorf("still served on %s after the setting was cleared", first)
	}
	set(second)
	if _, err := scrape(second); err != nil {
		t.Errorf("not served on %s after the setting moved there: %v", second, err)
	}
	cancel()
	m.wg.Wait()
	if _, err := scrape(second); err == nil {
		t.Errorf("still served after the monitor stopped")
	}

	// The flag wins: the setting is ignored for the run.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	third := freeAddr(t)
	m2 := New(Config{Service: svc, I18n: msgs, MetricsAddr: third})
	m2.startMetrics(ctx2)
	if _, err := scrape(third); err != nil {
		t.Errorf("--metrics %s not served: %v", third, err)
	}
	if _, err := scrape(second); err == nil {
		t.Errorf("the setting's %s served although --metrics was given", second)
	}
	cancel2()
	m2.wg.Wait()
}
