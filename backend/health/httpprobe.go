package health

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"relink/backend/catalog"
)

// MaxBody bounds what a probe reads.
const MaxBody = 1 << 20

// HTTPRequest is a who-am-I probe: the catalogue's request signed with
// the credential, which redacts itself when printed.
type HTTPRequest = catalog.SignedProbe

// NewProbeClient returns the client probes use: bounded time and no
// redirects to another host (a credential must not follow a redirect).
func NewProbeClient(timeout time.Duration) *http.Client {
	return NewProbeClientWith(http.DefaultTransport, timeout)
}

// NewProbeClientWith is NewProbeClient over base, which must keep proxies
// from the environment (see backend/transport).
func NewProbeClientWith(base http.RoundTripper, timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	return &http.Client{
		Timeout:   timeout,
		Transport: base,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 || req.URL.Host != via[0].URL.Host || req.URL.Scheme != via[0].URL.Scheme {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

// ProbeHTTP runs one probe and reports what it saw.
func ProbeHTTP(ctx context.Context, client *http.Client, r HTTPRequest) Observation {
	o, _ := probeHTTP(ctx, client, r)
	return o
}

// ProbeHTTPDoc is ProbeHTTP that also returns a successful answer's JSON
// document (nil otherwise), for the checks of what it holds (Unmet).
func ProbeHTTPDoc(ctx context.Context, client *http.Client, r HTTPRequest) (Observation, any) {
	o, _ := probeHTTP(ctx, client, r)
	if o.Err != nil || o.StatusCode < 200 || o.StatusCode >= 300 {
		return o, nil
	}
	return o, o.JSON
}

// probeHTTP also returns a successful answer's body, for the readers that
// need more than who-am-I (it never leaves this package).
func probeHTTP(ctx context.Context, client *http.Client, r HTTPRequest) (Observation, []byte) {
	o := Observation{Now: time.Now()}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, r.URL, nil)
	if err != nil {
		o.Err = fmt.Errorf("probe request: %s", redactURL(r.URL))
		return o, nil
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	req.Header.Set("User-Agent", "Relink health check")
	if r.BasicUser != "" || r.BasicPass != "" {
		req.SetBasicAuth(r.BasicUser, r.BasicPass)
	}
	resp, err := client.Do(req)
	if err != nil {
		o.Err = scrubURLError(err)
		return o, nil
	}
	defer resp.Body.Close()
	o.StatusCode = resp.StatusCode
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		o.Err = scrubURLError(err)
		return o, nil
	}
	if len(body) > MaxBody {
		o.Err = ErrBodyTooLarge
		return o, nil
	}
	observeAnswer(&o, resp.Header, body)
	if resp.StatusCode >= 400 {
		return o, nil
	}
	doc, isJSON := o.JSON, o.JSON != nil
	if r.AccountPath != "" && isJSON {
		o.Account = short(stringAt(doc, r.AccountPath))
	}
	if r.ScopesHeader != "" {
		o.GrantedScopes = splitScopes(resp.Header.Get(r.ScopesHeader), r.ScopeSeparator)
	}
	if r.ScopesPath != "" && isJSON {
		o.GrantedScopes = scopesAt(doc, r.ScopesPath, r.ScopeSeparator)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 && r.AccountPath != "" && !isJSON {
		o.Err = fmt.Errorf("probe: %w", errNotJSON)
	}
	return o, body
}

var errNotJSON = errors.New("who-am-I answer is not JSON")

func short(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}

// lookup follows a dotted path ("user.email", "data.0.id").
func lookup(doc any, path string) any {
	cur := doc
	for _, part := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

func stringAt(doc any, path string) string { return scalar(lookup(doc, path)) }

func scopesAt(doc any, path, sep string) []string {
	switch v := lookup(doc, path).(type) {
	case string:
		return splitScopes(v, sep)
	case []any:
		var out []string
		for _, s := range v {
			if str, ok := s.(string); ok {
				out = append(out, str)
			}
		}
		return out
	}
	return nil
}

func splitScopes(s, sep string) []string {
	if sep == "" || sep == " " {
		return strings.Fields(s)
	}
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// secretParams are query parameters whose values are redacted in errors.
var secretParams = []string{"key", "token", "secret", "password", "access_token", "api_key", "apikey", "code", "signature", "sig"}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[unparseable URL]"
	}
	u.User = nil
	q := u.Query()
	for k := range q {
		lk := strings.ToLower(k)
		for _, s := range secretParams {
			if strings.Contains(lk, s) {
				q.Set(k, "redacted")
			}
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// scrubURLError keeps the error's type (for classification) but redacts
// the URL it names.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: redactURL(ue.URL), Err: ue.Err}
	}
	return err
}
