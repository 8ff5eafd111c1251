package twins

import (
	"bufio"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Rig is a running TLS-intercepting forward proxy with its CA and the
// twins mounted on it: test-rig code, never shipped. Twins answer under
// the providers' real host names, reached the way a corporate proxy routes
// traffic: Relink is pointed at the rig only through HTTPS_PROXY and
// SSL_CERT_FILE (or its extra-CA setting); the rig answers CONNECT for a
// mounted host, terminates TLS with a leaf certificate its own CA signs for
// that name, and hands the request to the twin mounted for it. Go never
// proxies loopback addresses, so Relink's OAuth redirect listener stays
// direct.
type Rig struct {
	ca       *CA
	caFile   string
	proxyURL string
	outer    *http.Server
	inner    *http.Server
	tunnels  *connListener

	mu       sync.RWMutex
	byHost   map[string]Twin
	unrouted []string
}

// Start starts a rig for the test and stops it when the test ends.
func Start(t testing.TB) *Rig {
	t.Helper()
	r, err := start(t.TempDir())
	if err != nil {
		t.Fatalf("start twin rig: %v", err)
	}
	t.Cleanup(r.close)
	return r
}

// StartIn starts a rig keeping its CA file in dir, for a TestMain that
// has no testing.T; stop ends it.
func StartIn(dir string) (rig *Rig, stop func(), err error) {
	r, err := start(dir)
	if err != nil {
		return nil, nil, err
	}
	return r, r.close, nil
}

func start(dir string) (*Rig, error) {
	ca, err := NewCA()
	if err != nil {
		return nil, err
	}
	caFile := filepath.Join(dir, "twin-ca.pem")
	if err := os.WriteFile(caFile, ca.PEM(), 0o600); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Rig{ca: ca, caFile: caFile, proxyURL: "http://" + ln.Addr().String(), byHost: map[string]Twin{},
		tunnels: newConnListener(ln.Addr())}
	// Handshake noise (a client that distrusts the CA, a closed tunnel) is
	// what some tests provoke; the client reports it, not the log.
	quiet := log.New(io.Discard, "", 0)
	r.inner = &http.Server{Handler: http.HandlerFunc(r.route), ReadHeaderTimeout: 10 * time.Second, ErrorLog: quiet}
	r.outer = &http.Server{Handler: http.HandlerFunc(r.connect), ReadHeaderTimeout: 10 * time.Second}
	go r.inner.Serve(r.tunnels)
	go r.outer.Serve(ln)
	return r, nil
}

func (r *Rig) close() {
	r.outer.Close()
	r.inner.Close()
}

// ProxyURL is the proxy's address, for HTTPS_PROXY.
func (r *Rig) ProxyURL() string { return r.proxyURL }

// CAFile is the path of the rig CA's PEM file, for SSL_CERT_FILE.
func (r *Rig) CAFile() string { return r.caFile }

// CA is the rig's certificate authority.
func (r *Rig) CA() *CA { return r.ca }

// Env is what a child process needs to reach the twins: the proxy for
// HTTPS (and HTTP), no exceptions beyond Go's built-in loopback one, and
// the rig CA as the only trusted root.
func (r *Rig) Env() []string {
	return []string{"HTTPS_PROXY=" + r.proxyURL, "HTTP_PROXY=" + r.proxyURL, "NO_PROXY=", "https_proxy=", "http_proxy=", "no_proxy=",
		"SSL_CERT_FILE=" + r.caFile, "SSL_CERT_DIR="}
}

// Mount routes the twin's hosts to it, replacing any twin mounted there.
func (r *Rig) Mount(tw Twin) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, h := range tw.Hosts() {
		r.byHost[strings.ToLower(h)] = tw
	}
}

// Unrouted lists the hosts a client asked for that no twin serves: a test
// reports them, since they mean Relink went somewhere unexpected.
func (r *Rig) Unrouted() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.unrouted)
}

// Client is an HTTP client that reaches the twins as Relink does (through
// the proxy, trusting the rig CA) and loopback addresses directly, for a
// test playing the browser.
func (r *Rig) Client() *http.Client {
	proxy, _ := url.Parse(r.proxyURL)
	return &http.Client{
		Transport: &http.Transport{
			Proxy: func(req *http.Request) (*url.URL, error) {
				if isLoopback(req.URL.Hostname()) {
					return nil, nil
				}
				return proxy, nil
			},
			TLSClientConfig: &tls.Config{RootCAs: r.ca.Pool()},
		},
		Timeout: 30 * time.Second,
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (r *Rig) twin(host string) Twin {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(host)
	r.mu.RLock()
	tw := r.byHost[host]
	r.mu.RUnlock()
	if tw == nil {
		r.mu.Lock()
		if !slices.Contains(r.unrouted, host) {
			r.unrouted = append(r.unrouted, host)
		}
		r.mu.Unlock()
	}
	return tw
}

// connect answers the proxy's own requests: CONNECT to a mounted host
// becomes a TLS tunnel to its twin; anything else is refused, as Relink
// talks only HTTPS to providers.
func (r *Rig) connect(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodConnect {
		http.Error(w, "twin rig: only CONNECT is proxied", http.StatusMethodNotAllowed)
		return
	}
	host, _, err := net.SplitHostPort(req.Host)
	if err != nil {
		host = req.Host
	}
	if r.twin(host) == nil {
		http.Error(w, "twin rig: no twin for "+host, http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "twin rig: cannot hijack", http.StatusInternalServerError)
		return
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	if _, err := conn.Write([]byte("HTTP/1.1 200 Connection Established\r\n\r\n")); err != nil {
		conn.Close()
		return
	}
	cfg := &tls.Config{
		NextProtos: []string{"http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			name := hello.ServerName
			if name == "" {
				name = host
			}
			return r.ca.Leaf(name)
		},
	}
	r.tunnels.push(tls.Server(bufferedConn{conn, buf.Reader}, cfg))
}

// route hands a request that arrived through a tunnel to its host's twin.
func (r *Rig) route(w http.ResponseWriter, req *http.Request) {
	tw := r.twin(req.Host)
	if tw == nil {
		http.Error(w, "twin rig: no twin for "+req.Host, http.StatusBadGateway)
		return
	}
	tw.ServeHTTP(w, req)
}

// bufferedConn keeps bytes the proxy's reader already took off the wire
// (a client may send its TLS hello right behind the CONNECT).
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// connListener feeds the inner HTTP server the tunnels' TLS connections.
type connListener struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newConnListener(addr net.Addr) *connListener {
	return &connListener{addr: addr, conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *connListener) push(c net.Conn) {
	select {
	case l.conns <- c:
	case <-l.done:
		c.Close()
	}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }
