package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// OpenForApp opens the database the way the window and the CLI need: it
// never leaves the user without an app. A corrupt file is moved aside and
// a new one started (Notice says where the old one is). When the file
// cannot be written (read-only location, full disk, a newer Relink's
// schema) the store opens read-only, so integrations and history stay
// visible; Problem says why, writes are refused with that reason, and
// Recover reopens it once the cause is gone. Nothing is ever deleted.
func OpenForApp(ctx context.Context, path string) (*Store, error) {
	s, notice, err := openWritable(ctx, path)
	if err == nil {
		s.notice = notice
		return s, nil
	}
	ro, rerr := openReadOnly(ctx, path)
	if rerr != nil {
		return nil, errors.Join(err, rerr)
	}
	ro.readOnly, ro.notice = err, notice
	return ro, nil
}

// openWritable is Open, moving a corrupt file aside first.
func openWritable(ctx context.Context, path string) (*Store, error, error) {
	s, err := Open(ctx, path)
	if !errors.Is(err, ErrCorrupt) {
		return s, nil, err
	}
	moved, qerr := QuarantineCorrupt(path)
	if qerr != nil {
		return nil, nil, err
	}
	notice := newErr(ErrCorrupt, nil, "error.db_quarantined", "path", moved)
	s, err = Open(ctx, path)
	return s, notice, err
}

// openReadOnly opens the file without writing to it. When even that fails
// (no file yet, or one SQLite cannot read) the store is an empty
// in-memory database, so the app still shows the problem.
func openReadOnly(ctx context.Context, path string) (*Store, error) {
	// immutable=1 reads without creating the -shm file a read-only
	// directory or a full disk would refuse (it also skips a WAL not yet
	// checkpointed, so that view may lag the last writes).
	for _, d := range []string{dsn(path, true), dsn(path, true) + "&immutable=1"} {
		s, err := openDSN(ctx, path, d)
		if err != nil {
			continue
		}
		// A file a failed first start left empty has nothing to show.
		var n int
		if s.conn().QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'`).Scan(&n); n == 1 {
			return s, nil
		}
		s.Close()
	}
	// A random name: two stores in one process never share a database.
	s, err := openDSN(ctx, path, "file:relink-fallback-"+rand.Text()+"?mode=memory&cache=shared")
	if err != nil {
		return nil, fmt.Errorf("open in-memory fallback: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open in-memory fallback: %w", err)
	}
	return s, nil
}

func openDSN(ctx context.Context, path, d string) (*Store, error) {
	db, err := sql.Open("sqlite", d)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	watch, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db, watch: watch, path: path}, nil
}

// write runs f in one transaction. A read-only store refuses with its
// reason; a disk-full or read-only failure becomes the store's Problem
// until a later write succeeds.
func (s *Store) write(ctx context.Context, f func(tx *sql.Tx) error) error {
	s.mu.RLock()
	db, ro := s.db, s.readOnly
	s.mu.RUnlock()
	if ro != nil {
		return ro
	}
	err := inTx(ctx, db, f)
	switch {
	case errors.Is(err, ErrReadOnly):
		err = newErr(ErrReadOnly, err, "error.db_read_only", "path", s.path)
	case errors.Is(err, ErrDiskFull):
	case isIOErr(err) && diskFull(filepath.Dir(s.path)):
		err = newErr(ErrDiskFull, err, "error.db_disk_full")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err == nil:
		s.fault = nil
	case errors.Is(err, ErrReadOnly), errors.Is(err, ErrDiskFull):
		s.fault = err
	}
	return err
}

// Problem is why the store cannot save right now (nil when it can): the
// reason it opened read-only, or the last write's disk-full or read-only
// failure.
func (s *Store) Problem() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.readOnly != nil {
		return s.readOnly
	}
	return s.fault
}

// ReadOnly reports whether the store was opened read-only.
func (s *Store) ReadOnly() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.readOnly != nil
}

// Notice is a one-time fact from opening, such as a corrupt file kept
// aside; nil when there is none.
func (s *Store) Notice() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.notice
}

// Recover tries to make the store writable again: a read-only store
// reopens its file (migrating it as Open does); a store whose writes
// failed tries one small write. It returns the problem that remains.
func (s *Store) Recover(ctx context.Context) error {
	if !s.ReadOnly() {
		if s.Problem() == nil {
			return nil
		}
		return s.SetSetting(ctx, "storage_checked_at", time.Now().UTC().Format(time.RFC3339))
	}
	fresh, notice, err := openWritable(ctx, s.path)
	if err != nil {
		s.mu.Lock()
		s.readOnly = err
		s.mu.Unlock()
		return err
	}
	s.mu.Lock()
	oldDB, oldWatch := s.db, s.watch
	s.db, s.watch, s.readOnly, s.fault = fresh.db, fresh.watch, nil, nil
	if notice != nil {
		s.notice = notice
	}
	s.mu.Unlock()
	oldWatch.Close()
	oldDB.Close()
	return nil
}

// isIOErr reports SQLite I/O failures, which a full disk often causes.
func isIOErr(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_IOERR
}

func inTx(ctx context.Context, db *sql.DB, f func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return classify(err, "begin")
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return classify(tx.Commit(), "commit")
}
