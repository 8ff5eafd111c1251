// Package support is what the user reaches for when something is wrong:
// the diagnostics bundle attached to a support ticket (saved by the
// window's "Report a problem", written by `relink diagnostics`), a short
// summary, and the support page. Everything in a bundle is redacted
// twice: by pattern (tokens, keys, passwords, Authorization headers) and
// by value — every secret Relink holds is searched for, also base64- and
// URL-encoded, and the bundle is refused if one survived.
package support

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
)

const redacted = "[redacted]"

var patterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)(authorization\s*[:=]\s*)("?)(bearer|basic|klaviyo-api-key)?\s*[^\s"',}]+`),
	regexp.MustCompile(`(?i)("?(?:access_token|refresh_token|id_token|token|code|code_verifier|client_secret|secret|password|passwd|api_key|apikey|key)"?\s*[:=]\s*"?)([^\s"'&,}]{4,})`),
	regexp.MustCompile(`\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{8,}\b`),
	regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`),
	regexp.MustCompile(`(?i)\bpk_[a-z0-9]{20,}\b`),
}

// Forms returns the encodings under which a secret could appear.
func Forms(secret string) []string {
	b := []byte(secret)
	forms := []string{secret, url.QueryEscape(secret), url.PathEscape(secret),
		base64.StdEncoding.EncodeToString(b), base64.URLEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b)}
	seen := map[string]bool{}
	var out []string
	for _, f := range forms {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// minSecret is the shortest value searched for: shorter ones would match
// ordinary text and say nothing.
const minSecret = 6

// Redact removes secret-shaped text and every known secret value.
func Redact(text string, secrets []string) string {
	for _, re := range patterns {
		text = re.ReplaceAllStringFunc(text, func(m string) string {
			sub := re.FindStringSubmatchIndex(m)
			if len(sub) >= 4 && sub[2] >= 0 {
				// Keep the label, drop the value.
				return m[:sub[3]] + redacted
			}
			return redacted
		})
	}
	for _, s := range sortedByLength(secrets) {
		if len(s) < minSecret {
			continue
		}
		for _, f := range Forms(s) {
			text = strings.ReplaceAll(text, f, redacted)
		}
	}
	return text
}

func sortedByLength(ss []string) []string {
	out := append([]string(nil), ss...)
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// ErrSecretInBundle means a secret survived redaction; nothing is written.
var ErrSecretInBundle = errors.New("a secret was found in the bundle; it was not written")

// Leaks reports which secrets appear in data, in any encoded form.
func Leaks(data []byte, secrets []string) int {
	n := 0
	for _, s := range secrets {
		if len(s) < minSecret {
			continue
		}
		for _, f := range Forms(s) {
			if bytes.Contains(data, []byte(f)) {
				n++
				break
			}
		}
	}
	return n
}

// WriteBundle writes files (name → content) as a zip after redaction and a
// final byte search of the whole archive for every secret.
func WriteBundle(w io.Writer, files map[string]string, secrets []string, now time.Time) error {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		clean := Redact(files[n], secrets)
		if Leaks([]byte(clean), secrets) > 0 {
			return ErrSecretInBundle
		}
		f, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: zip.Store, Modified: now})
		if err != nil {
			return err
		}
		if _, err := io.WriteString(f, clean); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	if Leaks(buf.Bytes(), secrets) > 0 {
		return ErrSecretInBundle
	}
	_, err := w.Write(buf.Bytes())
	return err
}
