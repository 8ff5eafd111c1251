package health

import (
	"encoding/json"
	"net/http"
	"time"

	"relink/backend/catalog"
)

// Read is the one reading of a provider's answer, wherever it came from
// (probe, token endpoint, discovery, revocation): the provider's catalogue
// rules first, then the generic RFC 6749/6750 classifier for shapes no
// rule knows.
func Read(rules catalog.Errors, o Observation) Verdict {
	if o.Err == nil && o.StatusCode != 0 && len(rules) > 0 {
		at := o.At
		if at == "" {
			at = catalog.AtProbe
		}
		if r, ok := rules.Match(catalog.Answer{At: at, Status: o.StatusCode, Header: o.Header, JSON: o.JSON, Text: o.Text}); ok {
			return Verdict{Status: r.Status, Cause: r.Cause, Problem: r.Problem}
		}
	}
	return Classify(o)
}

// ObserveAnswer is the Observation of an HTTP answer from an OAuth endpoint
// (token, discovery, revocation), read the same way as a probe's.
func ObserveAnswer(at string, status int, header http.Header, body []byte) Observation {
	o := Observation{At: at, StatusCode: status, Now: time.Now()}
	observeAnswer(&o, header, body)
	return o
}

// maxText bounds the body text rules match patterns against.
const maxText = 64 << 10

// observeAnswer records what rules and the generic classifier read from an
// answer: headers, the parsed JSON body, its text and the RFC 6749/6750
// error code and description.
func observeAnswer(o *Observation, header http.Header, body []byte) {
	if header == nil {
		header = http.Header{}
	}
	o.Header = header
	o.RetryAfter = retryAfter(header)
	if d, err := http.ParseTime(header.Get("Date")); err == nil {
		o.ServerDate = d
	}
	var doc any
	if json.Unmarshal(body, &doc) == nil {
		o.JSON = doc
	}
	text := body
	if len(text) > maxText {
		text = text[:maxText]
	}
	o.Text = string(text)
	if code, desc := parseWWWAuthenticate(header.Get("WWW-Authenticate")); code != "" {
		o.OAuthError, o.ErrorText = code, desc
		o.Text += "\n" + desc
	}
	if o.StatusCode < 400 {
		return
	}
	if m, ok := doc.(map[string]any); ok && o.OAuthError == "" {
		if s, ok := m["error"].(string); ok {
			o.OAuthError = s
		}
		if s, ok := m["error_description"].(string); ok {
			o.ErrorText = s
		} else if s, ok := m["message"].(string); ok {
			o.ErrorText = s
		}
	}
	o.ErrorText = short(o.ErrorText)
}
