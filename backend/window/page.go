// Package window is what only the window needs around the shared use
// cases: the page's event channel, which exists only once Wails has
// started (Page), the requests to show a view (Navigate), and the
// reauthorizations the page starts in the background and then cancels or
// answers (Reauths). The tray, notifications and command line share the
// use cases themselves, in services.
package window

import "sync"

// Emitter sends one event to the page.
type Emitter interface {
	Emit(name string, payload any)
}

// EventNavigate carries a Navigate. Like every event the page hears, it
// is declared for the frontend by bridge_test.go at the root.
const EventNavigate = "navigate"

// Navigate asks the window to show a view (tray and notification clicks,
// relink:// links).
type Navigate struct {
	View          string `json:"view"`
	IntegrationID string `json:"integrationId,omitempty"`
	Reauth        bool   `json:"reauth,omitempty"`
}

// Page is the page's event channel. The core is built, and starts
// emitting, before Wails creates the window; until Attach, events go
// nowhere, as they would with the window closed.
type Page struct {
	mu   sync.Mutex
	next Emitter
}

// Attach sends every later event to e (the Wails runtime, once started).
func (p *Page) Attach(e Emitter) {
	p.mu.Lock()
	p.next = e
	p.mu.Unlock()
}

// Emit sends one event to the page, if there is one.
func (p *Page) Emit(name string, payload any) {
	p.mu.Lock()
	e := p.next
	p.mu.Unlock()
	if e != nil {
		e.Emit(name, payload)
	}
}

// Navigate tells the page to open a view.
func (p *Page) Navigate(n Navigate) { p.Emit(EventNavigate, n) }
