package secrets

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"relink/backend/integration"
)

func newMem(t *testing.T) (*Keychain, *Memory) {
	m := NewMemory()
	m.Limit = 2560 // behave like Windows, the strictest
	return NewWithBackend("relink-test", time.Second, m, nil), m
}

func TestRoundTripSizes(t *testing.T) {
	ctx := context.Background()
	for _, size := range []int{1, 100, ChunkThreshold, ChunkThreshold + 1, 10 << 10, MaxValue} {
		k, _ := newMem(t)
		v := strings.Repeat("x", size-1) + "y"
		if err := k.Set(ctx, "id1", "refresh_token", v); err != nil {
			t.Fatalf("size %d: Set: %v", size, err)
		}
		got, err := k.Get(ctx, "id1", "refresh_token")
		if err != nil || got != v {
			t.Errorf("size %d: got %d bytes, %v; want %d bytes", size, len(got), err, size)
		}
	}
}

func TestTooLarge(t *testing.T) {
	k, _ := newMem(t)
	err := k.Set(context.Background(), "id1", "api_key", strings.Repeat("x", MaxValue+1))
	var p *integration.Problem
	if !errors.Is(err, ErrTooLarge) || !errors.As(err, &p) || p.Code != "error.secret_too_large" {
		t.Errorf("got %v; want ErrTooLarge with its problem", err)
	}
}

func TestOverwriteRemovesStaleChunks(t *testing.T) {
	ctx := context.Background()
	k, m := newMem(t)
	k.Set(ctx, "id1", "api_key", strings.Repeat("a", 9000))
	if got := m.Len(); got != 6 {
		t.Fatalf("got %d items; want manifest + 5 parts", got)
	}
	k.Set(ctx, "id1", "api_key", "short")
	if got := m.Len(); got != 1 {
		t.Errorf("after overwrite got %d items; want 1", got)
	}
	if v, _ := k.Get(ctx, "id1", "api_key"); v != "short" {
		t.Errorf("got %q; want short", v)
	}
}

func TestDamagedChunkIsCorruptNotPartial(t *testing.T) {
	ctx := context.Background()
	v := strings.Repeat("a", 5000)
	part2 := partKey("id1/api_key", generation(digest(v)), 2)
	for _, tc := range []struct {
		name   string
		damage func(m *Memory) error
	}{
		{"missing part", func(m *Memory) error { return m.Delete("relink-test", part2) }},
		{"altered part", func(m *Memory) error { return m.Set("relink-test", part2, strings.Repeat("b", chunkSize)) }},
		{"garbled manifest", func(m *Memory) error { return m.Set("relink-test", "id1/api_key", manifestPrefix+"3:beef") }},
	} {
		k, m := newMem(t)
		if err := k.Set(ctx, "id1", "api_key", v); err != nil {
			t.Fatal(err)
		}
		if err := tc.damage(m); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got, err := k.Get(ctx, "id1", "api_key"); !errors.Is(err, ErrCorrupt) || got != "" {
			t.Errorf("%s: got %d bytes, %v; want ErrCorrupt and nothing", tc.name, len(got), err)
		}
	}
}

// writeFault breaks the keychain at the n-th write (set or delete). A
// crash also breaks every call after it: the process is gone, so nothing
// it would have done next (rolling back, cleaning up) happens.
type writeFault struct {
	n      int
	crash  bool
	writes int
	hit    string // the op that failed
	item   string // the item it failed on
}

func (f *writeFault) fail(op, user string) error {
	if f.hit != "" && f.crash {
		return errors.New("dbus: connection closed")
	}
	if op == "get" {
		return nil
	}
	if f.writes++; f.writes == f.n {
		f.hit, f.item = op, user
		return errors.New("dbus: connection closed")
	}
	return nil
}

// An overwrite broken at any write never costs the user the secret they
// had: Get returns the old value or the new one, whole. Once the keychain
// works again, writing the new value leaves exactly what a clean write
// would, with no stray parts of either value.
func TestOverwriteSurvivesFailureAtEveryWrite(t *testing.T) {
	ctx := context.Background()
	small, large := "old-key", strings.Repeat("o", 9000)
	for _, tc := range []struct {
		name     string
		old, new string
	}{
		{"small to large", small, strings.Repeat("n", 9000)},
		{"large to fewer parts", large, strings.Repeat("n", 5000)},
		{"large to more parts", strings.Repeat("o", 5000), strings.Repeat("n", 9000)},
		{"large to small", large, "new-key"},
		{"same large value", large, large},
	} {
		clean, cm := newMem(t)
		if err := clean.Set(ctx, "id1", "ssh_key", tc.new); err != nil {
			t.Fatal(err)
		}
		want := cm.Keys("relink-test")
		for _, crash := range []bool{false, true} {
			for n := 1; ; n++ {
				name := fmt.Sprintf("%s, crash=%v, write %d fails", tc.name, crash, n)
				k, m := newMem(t)
				if err := k.Set(ctx, "id1", "ssh_key", tc.old); err != nil {
					t.Fatal(err)
				}
				before := m.Keys("relink-test")
				f := &writeFault{n: n, crash: crash}
				m.SetFail(f.fail)
				err := k.Set(ctx, "id1", "ssh_key", tc.new)
				m.SetFail(nil)
				if f.hit == "" {
					break // the overwrite has fewer than n writes
				}
				// A failed part write takes its parts back. A failed switch
				// may have landed late, so its parts stay for the retry.
				left := m.Keys("relink-test")
				if err != nil && !crash && f.item != "id1/ssh_key" && !slices.Equal(left, before) {
					t.Errorf("%s: failed Set left %q; want %q as before", name, left, before)
				}
				for _, item := range left {
					if !slices.Contains(before, item) && !slices.Contains(want, item) {
						t.Errorf("%s: failed Set left %q, part of neither value", name, item)
					}
				}
				got, gerr := k.Get(ctx, "id1", "ssh_key")
				switch {
				case gerr != nil:
					t.Errorf("%s: Get got %v; want the old or the new value", name, gerr)
				case err != nil && got != tc.old:
					t.Errorf("%s: Set failed (%v) but Get got %d bytes; want the old %d", name, err, len(got), len(tc.old))
				case got != tc.old && got != tc.new:
					t.Errorf("%s: Get got %d bytes; want the old or the new value", name, len(got))
				}
				if err := k.Set(ctx, "id1", "ssh_key", tc.new); err != nil {
					t.Fatalf("%s: Set after recovery: %v", name, err)
				}
				if got, err := k.Get(ctx, "id1", "ssh_key"); err != nil || got != tc.new {
					t.Errorf("%s: after recovery got %d bytes, %v; want the new value", name, len(got), err)
				}
				// Only a failed clean-up of the old value can leave parts
				// behind (the keychain cannot be listed); nothing reads them.
				if f.hit == "set" {
					if got := m.Keys("relink-test"); !slices.Equal(got, want) {
						t.Errorf("%s: keychain holds %q; want %q", name, got, want)
					}
				}
			}
		}
	}
}

func TestNotFoundAndDeleteAll(t *testing.T) {
	ctx := context.Background()
	k, m := newMem(t)
	if _, err := k.Get(ctx, "nope", "api_key"); !errors.Is(err, ErrNotFound) {
		t.Errorf("got %v; want ErrNotFound", err)
	}
	k.Set(ctx, "id1", "refresh_token", strings.Repeat("r", 6000))
	k.Set(ctx, "id1", "client_secret", "s")
	k.Set(ctx, "id2", "api_key", "other")
	if err := k.DeleteAll(ctx, "id1"); err != nil {
		t.Fatal(err)
	}
	if got := m.Len(); got != 1 {
		t.Errorf("got %d items left; want only id2's", got)
	}
}

func TestFailureStatesAreDistinct(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"no bus", errors.New("dial unix /run/x: connect: no such file or directory"), ErrUnavailable},
		{"no service", errors.New("The name org.freedesktop.secrets was not provided by any .service files"), ErrUnavailable},
		{"locked", errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"), ErrLocked},
		{"dismissed", errors.New("prompt dismissed"), ErrLocked},
	} {
		k, m := newMem(t)
		m.Fail = func(string, string) error { return tc.err }
		_, err := k.Get(context.Background(), "id", "api_key")
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v; want %v", tc.name, err, tc.want)
		}
	}
}

func TestSlowKeychainTimesOut(t *testing.T) {
	m := NewMemory()
	m.Delay = 2 * time.Second
	k := NewWithBackend("relink-test", 50*time.Millisecond, m, nil)
	start := time.Now()
	_, err := k.Get(context.Background(), "id", "api_key")
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("got %v; want ErrTimeout", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("Get waited for the slow keychain")
	}
}

// While a call is overdue (the keychain has not answered it), the next
// ones wait only the operation timeout for their turn, not TurnWait.
func TestCallsBehindAnOverdueOneTimeOut(t *testing.T) {
	m := NewMemory()
	m.Delay = 2 * time.Second
	k := NewWithBackend("relink-test", 50*time.Millisecond, m, nil)
	if _, err := k.Get(context.Background(), "id", "api_key"); !errors.Is(err, ErrTimeout) {
		t.Fatalf("first: got %v; want ErrTimeout", err)
	}
	if _, err := k.Get(context.Background(), "id", "api_key"); !errors.Is(err, ErrTimeout) || !errors.Is(err, errOverdue) {
		t.Errorf("second: got %v; want ErrTimeout because the first is overdue", err)
	}
}

func TestErrorsNeverContainTheValue(t *testing.T) {
	k, m := newMem(t)
	m.Fail = func(op, _ string) error {
		if op == "set" {
			return errors.New("dbus: boom")
		}
		return nil
	}
	secret := "sk_test_supersecretvalue"
	err := k.Set(context.Background(), "id", "api_key", secret)
	if err == nil || strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v", err), secret) {
		t.Errorf("got %v; want an error without the value", err)
	}
}
