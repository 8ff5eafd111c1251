package oauth

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// MaxBody bounds every response Relink reads from a provider.
const MaxBody = 1 << 20

// ErrBodyTooLarge is returned when a response exceeds MaxBody.
var ErrBodyTooLarge = errors.New("response body too large")

// NewHTTPClient returns a client for token, metadata and revocation
// requests: bounded time, bounded bodies, and no redirects to another host
// (a token endpoint that redirects elsewhere could leak a code).
func NewHTTPClient(timeout time.Duration) *http.Client {
	return NewHTTPClientWith(http.DefaultTransport, timeout)
}

// NewHTTPClientWith is NewHTTPClient over base, which must keep proxies
// from the environment (see backend/transport).
func NewHTTPClientWith(base http.RoundTripper, timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &http.Client{
		Timeout:   timeout,
		Transport: limitTransport{base},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			if req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
				return fmt.Errorf("redirect to another host (%s) refused", req.URL.Host)
			}
			return nil
		},
	}
}

type limitTransport struct{ base http.RoundTripper }

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: MaxBody}
	return resp, nil
}

// limitedBody fails (rather than truncating silently) once a body passes
// the limit, so a huge or never-ending response is a clear error.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, ErrBodyTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
