package transport

import (
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"relink/backend/internal/twins"
)

// The proxy environment is read once per process, so every test here
// shares one rig whose proxy TestMain puts in the environment.
var rig *twins.Rig

type echo struct{}

func (echo) Hosts() []string { return []string{"graph.facebook.com", "api.stripe.com"} }
func (echo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, "twin "+r.Host)
}

func TestMain(m *testing.M) {
	os.Exit(withRig(m))
}

func withRig(m *testing.M) int {
	dir, err := os.MkdirTemp("", "transport-test")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	r, stop, err := twins.StartIn(dir)
	if err != nil {
		panic(err)
	}
	defer stop()
	r.Mount(echo{})
	rig = r
	os.Setenv("HTTPS_PROXY", r.ProxyURL())
	os.Setenv("NO_PROXY", "api.stripe.com")
	return m.Run()
}

func get(t *testing.T, rt http.RoundTripper, url string) (string, error) {
	t.Helper()
	resp, err := (&http.Client{Transport: rt}).Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestExtraCATrustsAnInspectingGateway(t *testing.T) {
	var files []string
	rt := New(func() []string { return files })

	// Without the gateway's CA, its certificate is not trusted.
	_, err := get(t, rt, "https://graph.facebook.com/me")
	var ve *tls.CertificateVerificationError
	if !errors.As(err, &ve) {
		t.Fatalf("without the extra CA: got %v; want a certificate verification error", err)
	}

	// The setting takes effect on the next request, no restart.
	files = []string{"", rig.CAFile()}
	if got, err := get(t, rt, "https://graph.facebook.com/me"); err != nil || got != "twin graph.facebook.com" {
		t.Fatalf("with the extra CA: got %q, %v; want the twin's answer", got, err)
	}

	// A broken setting is a TLS trust problem the user can see, not a
	// silent fallback to the system roots.
	bad := filepath.Join(t.TempDir(), "not-a-ca.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	for _, f := range []string{bad, filepath.Join(t.TempDir(), "missing.pem")} {
		files = []string{f}
		if _, err := get(t, rt, "https://graph.facebook.com/me"); !errors.As(err, &ve) {
			t.Errorf("extra CA %s: got %v; want a certificate verification error", f, err)
		}
	}
}

func TestProxyFromEnvironment(t *testing.T) {
	rt := New(nil)
	base, err := rt.current()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		url, want string
	}{
		{"https://graph.facebook.com/me", rig.ProxyURL()},
		{"https://api.stripe.com/v1/account", ""}, // NO_PROXY
		{"http://127.0.0.1:53682/callback", ""},   // loopback redirect stays direct
		{"http://localhost:53682/callback", ""},
	} {
		req, _ := http.NewRequest(http.MethodGet, tc.url, nil)
		u, err := base.Proxy(req)
		got := ""
		if u != nil {
			got = u.String()
		}
		if err != nil || got != tc.want {
			t.Errorf("Proxy(%s) = %q, %v; want %q", tc.url, got, err, tc.want)
		}
	}
}

func TestCheckFile(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pem")
	os.WriteFile(empty, nil, 0o600)
	for _, tc := range []struct {
		file string
		ok   bool
	}{
		{rig.CAFile(), true},
		{empty, false},
		{filepath.Join(dir, "missing.pem"), false},
	} {
		if err := CheckFile(tc.file); (err == nil) != tc.ok {
			t.Errorf("CheckFile(%s) = %v; want ok=%v", tc.file, err, tc.ok)
		}
	}
}
