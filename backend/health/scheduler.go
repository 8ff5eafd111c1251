package health

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Item is one integration the scheduler watches.
type Item struct {
	ID     string
	Paused bool
	// NextDue is when it should be checked next.
	NextDue time.Time
}

// Scheduler checks integrations when they are due with bounded
// concurrency. At rest it holds one timer for the next due check and
// nothing else: a tray app idles all day.
type Scheduler struct {
	// List returns the integrations and when each is due.
	List func(ctx context.Context) ([]Item, error)
	// Check checks one integration now.
	Check func(ctx context.Context, id string)
	// Concurrency bounds simultaneous checks (default 8).
	Concurrency int

	mu     sync.Mutex
	paused bool
	wake   chan struct{}
}

// Wake makes the scheduler re-read the list now (a setting changed, an
// integration was added, the CLI wrote something).
func (s *Scheduler) Wake() {
	s.mu.Lock()
	w := s.wake
	s.mu.Unlock()
	if w != nil {
		select {
		case w <- struct{}{}:
		default:
		}
	}
}

// SetPaused pauses or resumes all monitoring.
func (s *Scheduler) SetPaused(p bool) {
	s.mu.Lock()
	s.paused = p
	s.mu.Unlock()
	s.Wake()
}

// Paused reports whether monitoring is paused.
func (s *Scheduler) Paused() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paused
}

// Run loops until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	s.mu.Lock()
	s.wake = make(chan struct{}, 1)
	s.mu.Unlock()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := s.runDue(ctx)
		wait := time.Until(next)
		if next.IsZero() {
			wait = time.Hour
		}
		if wait < time.Second {
			wait = time.Second
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-s.wake:
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		}
	}
}

// runDue checks everything due now and returns when the next one is due.
func (s *Scheduler) runDue(ctx context.Context) time.Time {
	if s.Paused() {
		return time.Time{}
	}
	items, err := s.List(ctx)
	if err != nil {
		return time.Now().Add(time.Minute)
	}
	now := time.Now()
	var due []string
	var next time.Time
	for _, it := range items {
		if it.Paused {
			continue
		}
		if !it.NextDue.After(now) {
			due = append(due, it.ID)
			continue
		}
		if next.IsZero() || it.NextDue.Before(next) {
			next = it.NextDue
		}
	}
	s.CheckAll(ctx, due)
	if len(due) > 0 {
		// Re-read: the checks just moved their due times.
		return now
	}
	return next
}

// CheckAll checks ids with bounded concurrency and waits for all.
func (s *Scheduler) CheckAll(ctx context.Context, ids []string) {
	n := s.Concurrency
	if n <= 0 {
		n = 8
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	sort.Strings(ids)
	for _, id := range ids {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case sem <- struct{}{}:
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			s.Check(ctx, id)
		}()
	}
	wg.Wait()
}
