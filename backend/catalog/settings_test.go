package catalog

import (
	"errors"
	"maps"
	"strings"
	"testing"

	"relink/backend/integration"
)

func TestValidateSettings(t *testing.T) {
	c := load(t)
	pg := map[string]string{"host": "db", "database": "d", "user": "u"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := maps.Clone(base)
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	type fieldErr struct{ field, code, reason string }
	for _, tc := range []struct {
		name     string
		provider string
		in       map[string]string
		want     map[string]string // nil when errors are expected
		errs     []fieldErr        // in form order
	}{
		{"trimmed", "shopify", map[string]string{"shop": " my-store ", "client_id": "abc\t"},
			map[string]string{"shop": "my-store", "client_id": "abc"}, nil},
		{"defaults filled", "postgres", pg,
			map[string]string{"host": "db", "port": "5432", "database": "d", "user": "u", "tls_mode": "prefer", "ssh_port": "22"}, nil},
		{"blank means default", "mysql", with(pg, "port", "  ", "tls_mode", ""),
			map[string]string{"host": "db", "port": "3306", "database": "d", "user": "u", "tls_mode": "prefer", "ssh_port": "22"}, nil},
		{"select default", "google-ads", map[string]string{"client_id": "x"},
			map[string]string{"client_id": "x", "publishing_status": "production"}, nil},
		{"required missing", "shopify", map[string]string{"client_id": "abc"}, nil,
			[]fieldErr{{"shop", "error.field_required", ""}}},
		{"every error at once, in form order", "shopify", map[string]string{"shop": "a b"}, nil,
			[]fieldErr{{"shop", "error.field_invalid", "pattern"}, {"client_id", "error.field_required", ""}}},
		{"secret in settings", "shopify", map[string]string{"shop": "ok", "client_id": "abc", "client_secret": "s3cr3t"}, nil,
			[]fieldErr{{"client_secret", "error.field_secret_in_settings", ""}}},
		{"database password in settings", "postgres", with(pg, "password", "hunter2"), nil,
			[]fieldErr{{"password", "error.field_secret_in_settings", ""}}},
		{"ssh key in settings", "postgres", with(pg, "ssh_key", "-----BEGIN FAKE TEST KEY-----"), nil,
			[]fieldErr{{"ssh_key", "error.field_secret_in_settings", ""}}},
		{"empty secret is ignored", "stripe", map[string]string{"api_key": ""}, map[string]string{}, nil},
		{"port out of range", "postgres", with(pg, "port", "99999"), nil, []fieldErr{{"port", "error.field_invalid", "range"}}},
		{"port zero", "postgres", with(pg, "port", "0"), nil, []fieldErr{{"port", "error.field_invalid", "range"}}},
		{"port with sign", "postgres", with(pg, "port", "+5432"), nil, []fieldErr{{"port", "error.field_invalid", "not_a_number"}}},
		{"tls option", "postgres", with(pg, "tls_mode", "maybe"), nil, []fieldErr{{"tls_mode", "error.field_invalid", "option"}}},
		{"host with a path", "postgres", with(pg, "host", "db/evil"), nil, []fieldErr{{"host", "error.field_invalid", "pattern"}}},
		{"ssh user required with ssh host", "postgres", with(pg, "ssh_host", "bastion"), nil,
			[]fieldErr{{"ssh_user", "error.field_required", ""}}},
		{"ssh tunnel", "sqlserver", with(pg, "ssh_host", "bastion", "ssh_user", "tunnel", "ssh_port", "2222"),
			map[string]string{"host": "db", "port": "1433", "database": "d", "user": "u", "tls_mode": "prefer",
				"ssh_host": "bastion", "ssh_user": "tunnel", "ssh_port": "2222"}, nil},
		{"control character", "postgres", with(pg, "database", "d\x00"), nil,
			[]fieldErr{{"database", "error.field_invalid", "control_character"}}},
		{"too long", "custom-oauth2", map[string]string{"client_id": "x", "issuer": "https://x.example/" + strings.Repeat("a", 3000)}, nil,
			[]fieldErr{{"issuer", "error.field_invalid", "too_long"}}},
		{"unknown setting", "stripe", map[string]string{"colour": "red"}, nil,
			[]fieldErr{{"colour", "error.field_unknown", ""}}},
		{"issuer or endpoints", "custom-oauth2", map[string]string{"client_id": "relink"}, nil,
			[]fieldErr{{"issuer", "error.field_issuer_or_endpoints", ""}}},
		{"one endpoint is not enough", "custom-oauth2", map[string]string{"client_id": "relink", "authorization_endpoint": "https://id.example.com/a"}, nil,
			[]fieldErr{{"issuer", "error.field_issuer_or_endpoints", ""}, {"token_endpoint", "error.field_required", ""}}},
		{"issuer on loopback", "custom-oauth2", map[string]string{"client_id": "relink", "issuer": "http://127.0.0.1:9000"},
			map[string]string{"client_id": "relink", "issuer": "http://127.0.0.1:9000", "account_path": "email"}, nil},
		{"issuer over plain http", "custom-oauth2", map[string]string{"client_id": "relink", "issuer": "http://id.example.com"}, nil,
			[]fieldErr{{"issuer", "error.field_invalid", "not_https"}}},
		{"manual endpoints", "custom-oauth2", map[string]string{"client_id": "r", "authorization_endpoint": "https://id.example.com/a", "token_endpoint": "https://id.example.com/t"},
			map[string]string{"client_id": "r", "authorization_endpoint": "https://id.example.com/a", "token_endpoint": "https://id.example.com/t", "account_path": "email"}, nil},
		{"test url scheme", "custom-api-key", map[string]string{"test_url": "ftp://x"}, nil,
			[]fieldErr{{"test_url", "error.field_invalid", "scheme"}}},
		{"header and query", "custom-api-key", map[string]string{"test_url": "https://api.example.com/me", "header_name": "X-Key", "query_name": "key"}, nil,
			[]fieldErr{{"header_name", "error.field_invalid", "conflict"}}},
		{"header name with a colon", "custom-api-key", map[string]string{"test_url": "https://api.example.com/me", "header_name": "X-Key: a"}, nil,
			[]fieldErr{{"header_name", "error.field_invalid", "pattern"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := get(t, c, tc.provider).ValidateSettings(tc.in)
			if tc.errs == nil {
				if err != nil {
					t.Fatalf("ValidateSettings(%v) = %v; want nil", tc.in, err)
				}
				if !maps.Equal(got, tc.want) {
					t.Errorf("ValidateSettings(%v) = %v; want %v", tc.in, got, tc.want)
				}
				return
			}
			var fe *FieldErrors
			if !errors.As(err, &fe) || !errors.Is(err, integration.ErrInvalid) || got != nil {
				t.Fatalf("ValidateSettings(%v) = %v, %v; want *FieldErrors that is ErrInvalid", tc.in, got, err)
			}
			if len(fe.Fields) != len(tc.errs) {
				t.Fatalf("errors = %v; want %d of them: %v", fe, len(tc.errs), tc.errs)
			}
			for i, w := range tc.errs {
				f := fe.Fields[i]
				if f.Field != w.field || f.Problem.Code != w.code || f.Problem.Params["field"] != w.field || f.Problem.Params["reason"] != w.reason {
					t.Errorf("error %d = %s %v; want %s %s reason %q", i, f.Field, f.Problem, w.field, w.code, w.reason)
				}
			}
			var p *integration.Problem
			if !errors.As(err, &p) || p != fe.Fields[0].Problem {
				t.Errorf("errors.As(*Problem) = %v; want the first field's problem %v", p, fe.Fields[0].Problem)
			}
		})
	}
}

// Nothing the user typed into a secret, nor an unknown setting name that
// may be a pasted secret, comes back in the error.
func TestValidateSettingsNeverEchoesSecrets(t *testing.T) {
	const secret = "sk_test_51HxYzSecretValue"
	p := get(t, load(t), "stripe")
	_, err := p.ValidateSettings(map[string]string{"api_key": secret, secret: "x", "sk_test_abc123def456": "y"})
	if err == nil {
		t.Fatal("ValidateSettings accepted a secret in settings")
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "sk_live") {
		t.Errorf("error %q echoes the secret", err)
	}
}
