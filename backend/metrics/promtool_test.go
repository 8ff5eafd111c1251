package metrics_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"relink/backend/metrics"
)

// promtool runs Debian's promtool, which make test installs; elsewhere the
// test is skipped, but never in CI.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool missing in CI: .ci/deps installs Debian's prometheus package")
		}
		t.Skip("needs promtool (Debian package prometheus)")
	}
	return p
}

func TestREADMEAlertingRulePassesPromtool(t *testing.T) {
	bin := promtool(t)
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(groups:.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no ```yaml block with the example alerting rule")
	}
	rules := filepath.Join(t.TempDir(), "relink.rules.yml")
	if err := os.WriteFile(rules, m[1], 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "check", "rules", rules).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
	for _, name := range []string{"relink_integration_status", "relink_hard_expiry_timestamp_seconds"} {
		if !bytes.Contains(m[1], []byte(name)) {
			t.Errorf("the example rule does not use %s", name)
		}
	}
}

func TestOutputPassesPromtoolLint(t *testing.T) {
	bin := promtool(t)
	var buf bytes.Buffer
	if err := metrics.WriteText(&buf, views); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = &buf
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
