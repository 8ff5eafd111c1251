package secrets

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// fileTurn is the per-user turn at the Secret Service, shared by every
// Relink process of the session: the window, the tray's checks and any
// number of `relink` commands run by scripts. gnome-keyring (42 to 50)
// aborts when sessions from several clients are opened at once
// (gnome-keyring #190, #196, #199; basecamp/hey-cli #352 is the same
// abort from concurrent go-keyring CLI processes), and D-Bus then starts a
// daemon whose login keyring is locked. The in-process turn
// (Keychain.turn) covers one process; this flock covers the others. The kernel drops the lock when a
// process dies, so a killed command never blocks the rest.
type fileTurn struct{ path string }

// platformTurn places the lock in the user's runtime directory, which
// only the user can write; without one, in the temp directory under a
// name with the user's id.
func platformTurn() Turn {
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		return fileTurn{path: filepath.Join(dir, "relink-secret-service.lock")}
	}
	return fileTurn{path: filepath.Join(os.TempDir(), fmt.Sprintf("relink-secret-service-%d.lock", os.Getuid()))}
}

// Take waits for the lock until ctx ends. A lock file that cannot be used
// (not ours, unwritable directory) is no reason to refuse the keychain:
// the call goes ahead without the cross-process turn.
//
// The wait is a blocking flock, not polling: the kernel wakes a waiter
// the moment the holder lets go, so a command waiting beside a window
// busy with a thousand checks gets its turn between two of them instead
// of timing out.
func (f fileTurn) Take(ctx context.Context) (release func(), err error) {
	file, err := os.OpenFile(f.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return func() {}, nil
	}
	// Another user's file in a shared temp directory must not let them
	// hold our turn.
	if st, err := file.Stat(); err != nil || st.Sys().(*syscall.Stat_t).Uid != uint32(os.Getuid()) {
		file.Close()
		return func() {}, nil
	}
	locked := make(chan error, 1)
	go func() {
		for {
			err := syscall.Flock(int(file.Fd()), syscall.LOCK_EX)
			if err != syscall.EINTR {
				locked <- err
				return
			}
		}
	}()
	select {
	case err := <-locked:
		if err != nil {
			file.Close()
			return func() {}, nil
		}
		return func() { file.Close() }, nil // closing releases the lock
	case <-ctx.Done():
		// A blocked flock cannot be called off: give the lock back as
		// soon as it comes.
		go func() {
			<-locked
			file.Close()
		}()
		return nil, ctx.Err()
	}
}
