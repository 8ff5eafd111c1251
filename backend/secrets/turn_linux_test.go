package secrets

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestHelperTurnHolder is not a test: run as a child process, it takes the
// turn at RELINK_TURN_FILE, says "held" and keeps it until stdin closes.
func TestHelperTurnHolder(t *testing.T) {
	path := os.Getenv("RELINK_TURN_FILE")
	if path == "" {
		t.Skip("child process helper")
	}
	release, err := fileTurn{path: path}.Take(context.Background())
	if err != nil {
		fmt.Println("error", err)
		return
	}
	fmt.Println("held")
	bufio.NewReader(os.Stdin).ReadString('\n')
	release()
}

// holdInChild takes the turn in another process and returns the function
// that makes it let go.
func holdInChild(t *testing.T, path string) (letGo func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperTurnHolder$")
	cmd.Env = append(os.Environ(), "RELINK_TURN_FILE="+path)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "held\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child: %q; want held", line)
	}
	var once sync.Once
	letGo = func() { once.Do(func() { in.Close(); cmd.Wait() }) }
	t.Cleanup(letGo)
	return letGo
}

func TestSessionTurnIsOneProcessAtATime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "turn.lock")
	letGo := holdInChild(t, path)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := (fileTurn{path: path}).Take(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("took the turn another process holds: err %v; want %v", err, context.DeadlineExceeded)
	}
	letGo()
	release, err := fileTurn{path: path}.Take(context.Background())
	if err != nil {
		t.Fatalf("after the other process let go: %v; want the turn", err)
	}
	release()
}

func TestKeychainWaitsForTheSessionTurn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "turn.lock")
	m := NewMemory()
	k := NewWithBackend("relink-test", 100*time.Millisecond, m, nil)
	k.session, k.wait = fileTurn{path: path}, 300*time.Millisecond
	ctx := context.Background()
	if err := k.Set(ctx, "i", "api_key", "v"); err != nil {
		t.Fatal(err)
	}
	letGo := holdInChild(t, path)
	if _, err := k.Get(ctx, "i", "api_key"); !errors.Is(err, ErrTimeout) {
		t.Fatalf("Get while another process keeps the turn: %v; want %v", err, ErrTimeout)
	}
	letGo()
	if got, err := k.Get(ctx, "i", "api_key"); err != nil || got != "v" {
		t.Fatalf("Get after: %q, %v; want v", got, err)
	}
}

// Waiting for another process's turn is not the keychain failing to
// answer: a wait longer than the operation timeout still ends in the
// value.
func TestWaitingForTheTurnIsNotATimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "turn.lock")
	m := NewMemory()
	k := NewWithBackend("relink-test", 20*time.Millisecond, m, nil)
	k.session = fileTurn{path: path}
	ctx := context.Background()
	if err := k.Set(ctx, "i", "api_key", "v"); err != nil {
		t.Fatal(err)
	}
	letGo := holdInChild(t, path)
	go func() {
		time.Sleep(200 * time.Millisecond) // ten operation timeouts
		letGo()
	}()
	if got, err := k.Get(ctx, "i", "api_key"); err != nil || got != "v" {
		t.Fatalf("Get after waiting for the turn: %q, %v; want v", got, err)
	}
}

func TestSomeoneElsesLockFileIsNotOurTurn(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to give the file away")
	}
	path := filepath.Join(t.TempDir(), "turn.lock")
	if err := os.WriteFile(path, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	// A lock on it would let the other user hold our turn: it is ignored,
	// so two takes both go ahead.
	r1, err := fileTurn{path: path}.Take(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer r1()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r2, err := fileTurn{path: path}.Take(ctx)
	if err != nil {
		t.Fatalf("second take on a foreign file: %v; want it ignored", err)
	}
	r2()
}

// TestHelperKeychainWorker is not a test: run as a child, it does what one
// `relink` command does to the keychain, several times.
func TestHelperKeychainWorker(t *testing.T) {
	id := os.Getenv("RELINK_KEYCHAIN_WORKER")
	if id == "" {
		t.Skip("child process helper")
	}
	k := New("relink-test", 5*time.Second)
	ctx := context.Background()
	defer k.DeleteAll(ctx, id)
	for range 6 {
		for _, err := range []error{k.Set(ctx, id, "access_token", "a"), k.Set(ctx, id, "refresh_token", "r")} {
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := k.Get(ctx, id, "access_token"); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Get(ctx, id, "client_secret"); !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
	}
}

// TestConcurrentProcessesKeepTheSecretService is TestConcurrentUseKeeps-
// TheSecretService across processes: the window, the tray's checks and
// scripts running `relink` at once. Like that test, it guards the fix
// (the session turn) and cannot prove it.
func TestConcurrentProcessesKeepTheSecretService(t *testing.T) {
	realKeychain(t)
	owner := secretServiceOwner(t)
	before := owner()
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperKeychainWorker$", "-test.v")
			cmd.Env = append(os.Environ(), fmt.Sprintf("RELINK_KEYCHAIN_WORKER=processes-%d", w))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("worker %d: %v\n%s", w, err, out)
			}
		})
	}
	wg.Wait()
	if after := owner(); after != before {
		t.Errorf("the Secret Service was %s and is now %s: the daemon dropped off the bus", before, after)
	}
}

// TestHelperBusyTurnHolder is not a test: run as a child process, it takes
// the turn at RELINK_BUSY_TURN_FILE for a millisecond at a time, back to
// back, as a window busy with a sweep's keychain reads does, until stdin
// closes.
func TestHelperBusyTurnHolder(t *testing.T) {
	path := os.Getenv("RELINK_BUSY_TURN_FILE")
	if path == "" {
		t.Skip("child process helper")
	}
	stop := make(chan struct{})
	go func() {
		bufio.NewReader(os.Stdin).ReadString('\n')
		close(stop)
	}()
	fmt.Println("busy")
	for {
		select {
		case <-stop:
			return
		default:
		}
		release, err := fileTurn{path: path}.Take(context.Background())
		if err != nil {
			return
		}
		time.Sleep(time.Millisecond)
		release()
	}
}

// A command gets its turn beside a process that takes it back to back:
// the waiter is woken when the holder lets go instead of polling and
// losing every race (the CLI timed out beside a busy window).
func TestSessionTurnIsNotStarvedByABusyProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "turn.lock")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBusyTurnHolder$")
	cmd.Env = append(os.Environ(), "RELINK_BUSY_TURN_FILE="+path)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { in.Close(); cmd.Wait() }()
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "busy\n" {
		t.Fatalf("child: %q; want busy", line)
	}
	for i := range 20 {
		ctx, cancel := context.WithTimeout(context.Background(), DefaultTimeout)
		release, err := fileTurn{path: path}.Take(ctx)
		cancel()
		if err != nil {
			t.Fatalf("take %d beside a busy process: %v; want the turn within the keychain timeout", i, err)
		}
		release()
	}
}
