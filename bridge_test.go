package main

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"relink/backend/bridge"
	"relink/backend/services"
	"relink/backend/window"
)

var updateBridge = flag.Bool("update-bridge", false, "rewrite "+bridgeFile+" from the Go bindings")

const bridgeFile = "frontend/src/lib/bridge.gen.ts"

const bridgeHeader = `// Code generated from the Go bindings by TestBridgeDeclarationIsCurrent
// (bridge_test.go); DO NOT EDIT. Regenerate with make bridge.
// bridge.check.ts fails svelte-check when api.ts, types.ts or events.ts
// no longer match it.
`

// pageEvents are the events the page hears and their payloads.
func pageEvents() []bridge.Event {
	return []bridge.Event{
		{Name: services.EventIntegrationChanged, Payload: reflect.TypeFor[services.IntegrationView]()},
		{Name: services.EventIntegrationsChanged, Payload: reflect.TypeFor[[]services.IntegrationView]()},
		{Name: services.EventIntegrationRemoved, Payload: reflect.TypeFor[services.Removed]()},
		{Name: services.EventReload},
		{Name: window.EventReauthProgress, Payload: reflect.TypeFor[window.ReauthProgress]()},
		{Name: services.EventSettingsChanged, Payload: reflect.TypeFor[services.Settings]()},
		{Name: services.EventStorage, Payload: reflect.TypeFor[services.StorageView]()},
		{Name: window.EventNavigate, Payload: reflect.TypeFor[window.Navigate]()},
	}
}

// TestBridgeDeclarationIsCurrent keeps the TypeScript declaration of the
// bound methods, their models and the events in step with Go: a renamed
// method, field or event, or a changed type, fails here until it is
// regenerated, and then fails svelte-check until the frontend follows.
func TestBridgeDeclarationIsCurrent(t *testing.T) {
	got, err := bridge.Declare(bridgeHeader, reflect.TypeOf(&App{}), pageEvents())
	if err != nil {
		t.Fatal(err)
	}
	if *updateBridge {
		if err := os.WriteFile(bridgeFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(bridgeFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the Go bindings; regenerate it with `make bridge`, "+
			"then make api.ts, types.ts and events.ts follow until `npm run check` passes. Generated now:\n%s", bridgeFile, got)
	}
}

// TestEveryEventIsDeclared finds the event name constants (Event…) in
// the packages that emit to the page, so a new one cannot skip
// pageEvents. bench:mark goes the other way, from the page to Go.
func TestEveryEventIsDeclared(t *testing.T) {
	var declared []string
	for _, e := range pageEvents() {
		declared = append(declared, e.Name)
	}
	found := eventConstants(t, "backend/services", "backend/window")
	if len(found) < len(declared) {
		t.Fatalf("found %d event constants %v; the walk misses some of %v", len(found), found, declared)
	}
	for _, name := range found {
		if name != services.EventBenchMark && !slices.Contains(declared, name) {
			t.Errorf("event %q is not in pageEvents: the page cannot be checked against it", name)
		}
	}
}

// eventConstants returns the string values of constants named Event…
// declared in dirs (tests excluded).
func eventConstants(t *testing.T, dirs ...string) []string {
	t.Helper()
	var out []string
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				vs, ok := n.(*ast.ValueSpec)
				if !ok {
					return true
				}
				for i, id := range vs.Names {
					if !strings.HasPrefix(id.Name, "Event") || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						out = append(out, v)
					}
				}
				return true
			})
		}
	}
	return out
}
