package desktop

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

type item struct{ ID, State string }

type recorder struct {
	mu   sync.Mutex
	sent []string
}

func (r *recorder) Emit(name string, payload any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, fmt.Sprintf("%s %v", name, payload))
}

// steppedBatcher returns a batcher whose intervals end when the test
// calls the returned function, and how many intervals are running.
func steppedBatcher(r *recorder) (*Batcher, func(), func() int) {
	b := NewBatcher(r, "one", "many", func(p any) string { return p.(item).ID }, time.Hour)
	var ticks []func()
	b.after = func(_ time.Duration, f func()) { ticks = append(ticks, f) }
	step := func() {
		f := ticks[0]
		ticks = ticks[1:]
		f()
	}
	return b, step, func() int { return len(ticks) }
}

func TestBatcher(t *testing.T) {
	tests := []struct {
		name string
		run  func(b *Batcher, step func())
		want []string
	}{
		{
			name: "the first event after a quiet interval goes out at once",
			run:  func(b *Batcher, _ func()) { b.Emit("one", item{"a", "checking"}) },
			want: []string{"many [{a checking}]"},
		},
		{
			name: "events within an interval go out together, newest per item",
			run: func(b *Batcher, step func()) {
				b.Emit("one", item{"a", "checking"})
				b.Emit("one", item{"b", "checking"})
				b.Emit("one", item{"c", "checking"})
				b.Emit("one", item{"b", "connected"})
				step()
			},
			want: []string{"many [{a checking}]", "many [{b connected} {c checking}]"},
		},
		{
			name: "another event sends what is pending first",
			run: func(b *Batcher, _ func()) {
				b.Emit("one", item{"a", "checking"})
				b.Emit("one", item{"b", "checking"})
				b.Emit("removed", "b")
			},
			want: []string{"many [{a checking}]", "many [{b checking}]", "removed b"},
		},
		{
			name: "a quiet interval ends throttling",
			run: func(b *Batcher, step func()) {
				b.Emit("one", item{"a", "checking"})
				step()
				b.Emit("one", item{"a", "connected"})
			},
			want: []string{"many [{a checking}]", "many [{a connected}]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			b, step, _ := steppedBatcher(r)
			tt.run(b, step)
			if !reflect.DeepEqual(r.sent, tt.want) {
				t.Errorf("sent %q; want %q", r.sent, tt.want)
			}
		})
	}
}

func TestBatcherStopsTicking(t *testing.T) {
	r := &recorder{}
	b, step, running := steppedBatcher(r)
	b.Emit("one", item{"a", "checking"})
	b.Emit("one", item{"a", "connected"})
	step() // sends a, starts another interval
	step() // nothing gathered: stops
	if got := running(); got != 0 {
		t.Errorf("%d intervals still running after a quiet one; want 0", got)
	}
}

// TestBatcherConcurrent sends from many goroutines, as the scheduler's
// workers do, with real timers; every item's last state must arrive.
func TestBatcherConcurrent(t *testing.T) {
	last := map[string]string{}
	var mu sync.Mutex
	sink := emitFunc(func(name string, payload any) {
		if name != "many" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, p := range payload.([]any) {
			last[p.(item).ID] = p.(item).State
		}
	})
	b := NewBatcher(sink, "one", "many", func(p any) string { return p.(item).ID }, time.Millisecond)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				id := fmt.Sprint(w*50 + i)
				b.Emit("one", item{id, "checking"})
				b.Emit("one", item{id, "done"})
			}
		}()
	}
	wg.Wait()
	b.Emit("flush", nil)
	mu.Lock()
	defer mu.Unlock()
	if len(last) != 400 {
		t.Fatalf("got %d items; want 400", len(last))
	}
	for id, s := range last {
		if s != "done" {
			t.Errorf("item %s ended %q; want done", id, s)
		}
	}
}

type emitFunc func(name string, payload any)

func (f emitFunc) Emit(name string, payload any) { f(name, payload) }
