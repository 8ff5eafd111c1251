package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"relink/backend/alerts"
	"relink/backend/services"
	"relink/backend/support"
)

// testCore is the CLI's core over a real store: the services, the
// support desk and the alert destinations, as main.go builds it.
type testCore struct {
	*services.Service
	*support.Desk
	alerts *alerts.Manager
}

func (c testCore) Alerts() Alerts { return c.alerts }

func TestAlertsCommands(t *testing.T) {
	var mu sync.Mutex
	var got []string
	status := http.StatusOK
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, string(b))
		w.WriteHeader(status)
		w.Write([]byte("ok"))
	}))
	defer recv.Close()
	h := newHarness(t)

	steps := []struct {
		name, stdin string
		args        []string
		code        int
		out, err    string
	}{
		{"add needs a format", recv.URL, []string{"alerts", "add", "team"}, ExitUsage, "", "--format needs a value"},
		{"add refuses plain http elsewhere", "http://example.com/hook", []string{"alerts", "add", "team", "--format", "slack"}, ExitUsage, "", "https://"},
		{"add reads the URL from stdin", recv.URL + "/services/T/B/x\n", []string{"alerts", "add", "team", "--format", "slack"}, ExitOK, "relink alerts test team", ""},
		{"a second with the same name", recv.URL, []string{"alerts", "add", "TEAM", "--format", "json"}, ExitFailed, "", "already exists"},
		{"list", "", []string{"alerts", "list"}, ExitOK, "team", ""},
		{"test reports the HTTP answer", "", []string{"alerts", "test", "team"}, ExitOK, "HTTP 200 ok", ""},
		{"unknown destination", "", []string{"alerts", "test", "nope"}, ExitFailed, "", "No alert destination"},
		{"unknown subcommand", "", []string{"alerts", "send"}, ExitUsage, "", "use add, list, test or remove"},
		{"remove", "", []string{"alerts", "remove", "team"}, ExitOK, "Removed the alert destination", ""},
		{"list is empty again", "", []string{"alerts", "list", "--json"}, ExitOK, "[]", ""},
	}
	for _, s := range steps {
		code, out, errOut := h.run(s.stdin, s.args...)
		if code != s.code || !strings.Contains(out, s.out) || !strings.Contains(errOut, s.err) {
			t.Errorf("%s: relink %s = %d\nstdout: %s\nstderr: %s\nwant %d, stdout ∋ %q, stderr ∋ %q",
				s.name, strings.Join(s.args, " "), code, out, errOut, s.code, s.out, s.err)
		}
		if strings.Contains(out+errOut, "/services/T/B/x") {
			t.Errorf("%s: printed the webhook URL", s.name)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("receiver got %d posts; want 1 (the test message)", len(got))
	}
	var slack struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal([]byte(got[0]), &slack); err != nil || !strings.Contains(slack.Text, "test message") {
		t.Errorf("test message = %s; want a Slack body with a text", got[0])
	}
}

func TestCheckPrometheus(t *testing.T) {
	srv, _ := keyServer(t)
	h := newHarness(t)
	if code, _, errOut := h.run("k1", "add", "custom-api-key", "--name", "svc", "--set", "test_url="+srv.URL, "--secret-stdin"); code != ExitOK {
		t.Fatalf("add = %d: %s", code, errOut)
	}
	code, out, errOut := h.run("", "check", "--prometheus")
	if code != ExitOK || !strings.Contains(out, `relink_integration_status{cause="",id="`) || !strings.Contains(out, `status="connected"} 1`) ||
		!strings.Contains(out, "relink_integration_healthy{") || !strings.Contains(out, "# TYPE relink_last_check_timestamp_seconds gauge") {
		t.Errorf("check --prometheus = %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := h.run("", "check", "--prometheus", "--json"); code != ExitUsage || !strings.Contains(errOut, "cannot be used together") {
		t.Errorf("check --prometheus --json = %d %s; want a usage error", code, errOut)
	}
}
