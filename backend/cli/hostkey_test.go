package cli

import (
	"strings"
	"testing"
)

func TestCLIAcceptHostKeyInput(t *testing.T) {
	h := newHarness(t)
	srv, _ := keyServer(t)
	if code, _, errs := h.run("k1\n", "add", "custom-api-key", "--name", "Ops API", "--set", "test_url="+srv.URL+"/me", "--secret-stdin"); code != ExitOK {
		t.Fatalf("add: exit %d, %s", code, errs)
	}
	cases := []struct {
		name, value string
		wantCode    int
		wantText    string
	}{
		{"not a fingerprint", "yes", ExitUsage, "is not a SHA256 fingerprint"},
		{"MD5 style", "MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48", ExitUsage, "is not a SHA256 fingerprint"},
		{"no bastion", "SHA256:" + strings.Repeat("A", 43), ExitFailed, "does not connect through an SSH bastion"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := h.run("", "reauth", "Ops API", "--accept-host-key", tc.value)
			if code != tc.wantCode || !strings.Contains(errs, tc.wantText) {
				t.Errorf("reauth --accept-host-key %s: exit %d %q; want %d with %q", tc.value, code, errs, tc.wantCode, tc.wantText)
			}
		})
	}
}
