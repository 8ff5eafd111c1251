package desktop

import (
	"sync"
	"time"
)

// Emitter sends one event to the window.
type Emitter interface {
	Emit(name string, payload any)
}

// Batcher coalesces a stream of per-item events into one event carrying
// many items, sent at most once per interval. A sweep of 1,000 checks
// otherwise makes the page parse and render 2,000 events, one by one.
// The first event after a quiet interval goes out at once, so a single
// "check now" is not delayed; within a batch an item's newest payload
// replaces older ones. Any other event first sends what is pending, so
// the page sees events in the order they happened.
type Batcher struct {
	next          Emitter
	single, batch string
	key           func(payload any) string
	interval      time.Duration
	// after runs f once d has passed (time.AfterFunc; tests step it).
	after func(d time.Duration, f func())

	mu      sync.Mutex
	pending []any
	index   map[string]int
	// throttling is true from a send until an interval passes with
	// nothing more to send.
	throttling bool
}

// NewBatcher batches events named single, whose payload key returns an
// item's identity, into events named batch whose payload is a list.
func NewBatcher(next Emitter, single, batch string, key func(payload any) string, interval time.Duration) *Batcher {
	return &Batcher{
		next: next, single: single, batch: batch, key: key, interval: interval,
		after: func(d time.Duration, f func()) { time.AfterFunc(d, f) },
		index: map[string]int{},
	}
}

// Emit implements Emitter.
func (b *Batcher) Emit(name string, payload any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if name != b.single {
		b.flushLocked()
		b.next.Emit(name, payload)
		return
	}
	k := b.key(payload)
	if i, ok := b.index[k]; ok {
		b.pending[i] = payload
	} else {
		b.index[k] = len(b.pending)
		b.pending = append(b.pending, payload)
	}
	if !b.throttling {
		b.flushLocked()
		b.throttling = true
		b.after(b.interval, b.tick)
	}
}

// tick ends an interval: it sends what gathered during it, or stops
// throttling when nothing did.
func (b *Batcher) tick() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pending) == 0 {
		b.throttling = false
		return
	}
	b.flushLocked()
	b.after(b.interval, b.tick)
}

func (b *Batcher) flushLocked() {
	if len(b.pending) == 0 {
		return
	}
	b.next.Emit(b.batch, b.pending)
	b.pending = nil
	clear(b.index)
}
