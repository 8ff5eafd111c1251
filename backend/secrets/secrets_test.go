package secrets

import (
	"context"
	"errors"
	"fmt"
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

func TestMissingChunkIsCorruptNotPartial(t *testing.T) {
	ctx := context.Background()
	k, m := newMem(t)
	k.Set(ctx, "id1", "api_key", strings.Repeat("a", 5000))
	m.Delete("relink-test", "id1/api_key#2")
	if _, err := k.Get(ctx, "id1", "api_key"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("got %v; want ErrCorrupt", err)
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
