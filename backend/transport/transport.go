// Package transport builds the HTTP transport every Relink client uses:
// proxies from the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) and the
// system's trusted roots plus extra CA files, for corporate networks whose
// gateway inspects TLS with its own certificate authority.
package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
)

// EnvExtraCA names a PEM file of extra trusted roots, read at every
// request so a renewed gateway certificate needs no restart.
const EnvExtraCA = "RELINK_EXTRA_CA"

// ErrNoCertificates is returned for a CA file with no PEM certificate.
var ErrNoCertificates = errors.New("no PEM certificate in file")

// Transport is an http.RoundTripper over a clone of Go's default
// transport, rebuilt when the extra CA files change.
type Transport struct {
	extra func() []string

	mu  sync.Mutex
	key string
	rt  *http.Transport
	err error
}

// New returns a transport; extra lists the extra CA files (empty entries
// are ignored) and is asked at every request.
func New(extra func() []string) *Transport {
	return &Transport{extra: extra}
}

// RoundTrip sends req through the proxy the environment names for it (Go
// never proxies loopback addresses, so OAuth redirects stay local).
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	rt, err := t.current()
	if err != nil {
		// The user's trust configuration is broken: report it as a
		// certificate that cannot be verified, which is what the user
		// sees happen and what the classifier calls a local TLS problem.
		return nil, &tls.CertificateVerificationError{Err: err}
	}
	return rt.RoundTrip(req)
}

func (t *Transport) current() (*http.Transport, error) {
	var files []string
	if t.extra != nil {
		for _, f := range t.extra() {
			if f = strings.TrimSpace(f); f != "" && !slices.Contains(files, f) {
				files = append(files, f)
			}
		}
	}
	key := fileKey(files)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.rt != nil && key == t.key {
		return t.rt, t.err
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	// DefaultTransport already does this; said again so no edit loses it.
	base.Proxy = http.ProxyFromEnvironment
	var err error
	if len(files) > 0 {
		var pool *x509.CertPool
		if pool, err = Roots(files...); err == nil {
			base.TLSClientConfig = &tls.Config{RootCAs: pool}
		}
	}
	if t.rt != nil {
		t.rt.CloseIdleConnections()
	}
	t.key, t.rt, t.err = key, base, err
	return t.rt, t.err
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// current transport.
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.rt != nil {
		t.rt.CloseIdleConnections()
	}
}

// fileKey identifies the files' current contents cheaply, so a changed
// file rebuilds the pool and an unchanged one costs a stat.
func fileKey(files []string) string {
	var b strings.Builder
	for _, f := range files {
		b.WriteString(f)
		if st, err := os.Stat(f); err == nil {
			fmt.Fprintf(&b, "|%d|%d", st.Size(), st.ModTime().UnixNano())
		}
		b.WriteByte(0)
	}
	return b.String()
}

// Roots returns the system's trusted roots (which SSL_CERT_FILE and
// SSL_CERT_DIR change on Linux) plus the certificates in files.
func Roots(files ...string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, f := range files {
		if err := AppendFile(pool, f); err != nil {
			return nil, err
		}
	}
	return pool, nil
}

// AppendFile adds the PEM certificates in file to pool.
func AppendFile(pool *x509.CertPool, file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("extra CA: %w", err)
	}
	if !pool.AppendCertsFromPEM(b) {
		return fmt.Errorf("extra CA %s: %w", file, ErrNoCertificates)
	}
	return nil
}

// CheckFile reports whether file is a usable extra CA file.
func CheckFile(file string) error {
	return AppendFile(x509.NewCertPool(), file)
}
