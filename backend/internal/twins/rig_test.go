package twins

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type hostTwin struct{ hosts []string }

func (h hostTwin) Hosts() []string { return h.hosts }
func (h hostTwin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.WriteString(w, "twin "+r.Host+" "+r.URL.Path)
}

func TestRigRoutesByRealHostName(t *testing.T) {
	rig := Start(t)
	rig.Mount(hostTwin{[]string{"graph.facebook.com"}})
	rig.Mount(hostTwin{[]string{"login.salesforce.com"}})
	c := rig.Client()
	for _, tc := range []struct{ url, want string }{
		{"https://graph.facebook.com/v25.0/me", "twin graph.facebook.com /v25.0/me"},
		{"https://login.salesforce.com/services/oauth2/userinfo", "twin login.salesforce.com /services/oauth2/userinfo"},
	} {
		resp, err := c.Get(tc.url)
		if err != nil {
			t.Fatalf("GET %s: %v", tc.url, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := string(b); got != tc.want {
			t.Errorf("GET %s = %q; want %q", tc.url, got, tc.want)
		}
	}
	if _, err := c.Get("https://api.stripe.com/v1/account"); err == nil {
		t.Errorf("GET an unmounted host succeeded; want the proxy to refuse it")
	}
	if got := rig.Unrouted(); len(got) != 1 || got[0] != "api.stripe.com" {
		t.Errorf("Unrouted() = %v; want [api.stripe.com]", got)
	}
}

// TestRigThroughEnvironment runs a separate Go program configured only by
// the rig's environment, the way Relink is reached.
func TestRigThroughEnvironment(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	rig := Start(t)
	rig.Mount(hostTwin{[]string{"api.hubapi.com"}})
	dir := t.TempDir()
	src := `package main
import ("fmt"; "io"; "net/http"; "os")
func main() {
	resp, err := http.Get(os.Args[1])
	if err != nil { fmt.Println(err); os.Exit(1) }
	b, _ := io.ReadAll(resp.Body)
	fmt.Print(string(b))
}`
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", "main.go", "https://api.hubapi.com/account-info/v3/details")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GO111MODULE=off")
	cmd.Env = append(cmd.Env, rig.Env()...)
	out, err := cmd.CombinedOutput()
	if got, want := strings.TrimSpace(string(out)), "twin api.hubapi.com /account-info/v3/details"; err != nil || got != want {
		t.Fatalf("program behind the proxy printed %q (%v); want %q", got, err, want)
	}
}
