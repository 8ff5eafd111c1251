package window

import (
	"sync"
	"testing"
)

// recorder keeps the events it is given.
type recorder struct {
	mu     sync.Mutex
	events []string
	got    chan ReauthProgress
}

func (r *recorder) Emit(name string, payload any) {
	r.mu.Lock()
	r.events = append(r.events, name)
	r.mu.Unlock()
	if p, ok := payload.(ReauthProgress); ok && r.got != nil {
		r.got <- p
	}
}

func (r *recorder) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.events...)
}

func TestPageDropsEventsUntilAttached(t *testing.T) {
	var p Page
	p.Emit("integration:changed", nil)
	rec := &recorder{}
	p.Attach(rec)
	p.Navigate(Navigate{View: "integrations", IntegrationID: "a-1", Reauth: true})
	if got := rec.names(); len(got) != 1 || got[0] != EventNavigate {
		t.Errorf("events after Attach = %v; want [%s]", got, EventNavigate)
	}
}

// The window attaches while the core already emits (checks run before
// the page exists). Run with -race.
func TestPageAttachWhileEmitting(t *testing.T) {
	var p Page
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 200 {
			p.Emit("integration:changed", nil)
		}
	}()
	rec := &recorder{}
	p.Attach(rec)
	wg.Wait()
	p.Emit("settings:changed", nil)
	if got := rec.names(); len(got) == 0 || got[len(got)-1] != "settings:changed" {
		t.Errorf("last event = %v; want settings:changed", got)
	}
}
