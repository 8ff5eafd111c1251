// Package store keeps Relink's integration metadata, history and settings
// in SQLite (modernc.org/sqlite, no cgo). It never stores a secret.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"relink/backend/integration"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Sentinel errors, each also carrying a Problem for the user.
var (
	ErrNotFound      = errors.New("not found")
	ErrDuplicateName = errors.New("an integration with this name exists")
	ErrNewerSchema   = errors.New("database created by a newer Relink")
	ErrCorrupt       = errors.New("database file is corrupt")
	ErrReadOnly      = errors.New("database is read-only")
	ErrDiskFull      = errors.New("disk full")
)

func newErr(sentinel error, cause error, code string, kv ...string) error {
	return integration.NewError(sentinel, cause, code, kv...)
}

// Store is an open database.
type Store struct {
	path string

	mu sync.RWMutex
	db *sql.DB
	// watch is one dedicated connection for PRAGMA data_version, which only
	// reports writes made through other connections.
	watch *sql.Conn
	// readOnly is why the store was opened read-only (see OpenForApp):
	// every write is refused with it until Recover reopens the file.
	readOnly error
	// fault is the last write's disk-full or read-only failure; the next
	// successful write clears it.
	fault error
	// notice is a one-time fact about opening (a corrupt file kept aside).
	notice error
}

// conn is the current database handle (Recover may replace it).
func (s *Store) conn() *sql.DB {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.db
}

// Migrations returns the embedded migrations in order.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		n, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(n)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number", e.Name())
		}
		body, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

type migration struct {
	version int
	name    string
	sql     string
}

// SchemaVersion is the newest schema this binary knows.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	if readOnly {
		q.Set("mode", "ro")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		// BEGIN IMMEDIATE: a writer takes the lock up front and waits on
		// busy_timeout, instead of failing when a read upgrades to a write
		// while another process writes.
		q.Set("_txlock", "immediate")
	}
	return "file:" + filepath.ToSlash(path) + "?" + q.Encode()
}

// Open opens (creating if needed) the database at path and migrates it
// forward. A database from a newer Relink is refused without being
// modified.
func Open(ctx context.Context, path string) (*Store, error) {
	s, err := open(ctx, path)
	var p *integration.Problem
	if errors.Is(err, ErrReadOnly) && errors.As(err, &p) && p.Params["path"] == "" {
		// SQLite's own read-only errors do not name the file; the user
		// needs to know which one.
		err = newErr(ErrReadOnly, err, "error.db_read_only", "path", path)
	}
	return s, err
}

func open(ctx context.Context, path string) (*Store, error) {
	if err := checkExisting(ctx, path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, migrateErr(path, err)
	}
	if s.watch, err = db.Conn(ctx); err != nil {
		db.Close()
		return nil, classify(err, "open")
	}
	return s, nil
}

// migrateErr names a failed first write on a full disk as such even when
// SQLite reports it as a generic I/O error (a -shm it could not grow).
func migrateErr(path string, err error) error {
	err = classify(err, "migrate")
	if isIOErr(err) && diskFull(filepath.Dir(path)) {
		return newErr(ErrDiskFull, err, "error.db_disk_full")
	}
	return err
}

// checkExisting inspects an existing file read-only: a newer schema, a
// corrupt file or a read-only location are reported before anything could
// write to it.
func checkExisting(ctx context.Context, path string) error {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		dir := filepath.Dir(path)
		if f, err := os.CreateTemp(dir, ".relink-write-test-*"); err != nil {
			return newErr(ErrReadOnly, err, "error.db_read_only", "path", dir)
		} else {
			f.Close()
			os.Remove(f.Name())
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("stat %s: %w", path, err)
	}
	if st.Size() > 0 {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("open %s: %w", path, err)
		}
		header := make([]byte, 16)
		_, rerr := f.Read(header)
		f.Close()
		if rerr != nil || string(header) != "SQLite format 3\x00" {
			return newErr(ErrCorrupt, rerr, "error.db_corrupt", "path", path)
		}
	}
	db, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_migrations'`).Scan(&n)
	if err != nil {
		return classify(err, "inspect")
	}
	if n > 0 {
		var v sql.NullInt64
		if err := db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
			return classify(err, "inspect")
		}
		if int(v.Int64) > SchemaVersion() {
			return newErr(ErrNewerSchema, nil, "error.db_newer_schema",
				"found", strconv.FormatInt(v.Int64, 10), "supported", strconv.Itoa(SchemaVersion()), "path", path)
		}
	}
	if f, err := os.OpenFile(path, os.O_RDWR, 0); err != nil {
		return newErr(ErrReadOnly, err, "error.db_read_only", "path", path)
	} else {
		f.Close()
	}
	return nil
}

// classify maps SQLite error codes to the store's sentinels.
func classify(err error, op string) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return newErr(ErrCorrupt, err, "error.db_corrupt")
		case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM:
			return newErr(ErrReadOnly, err, "error.db_read_only")
		case sqlite3.SQLITE_FULL:
			return newErr(ErrDiskFull, err, "error.db_disk_full")
		}
	}
	return fmt.Errorf("%s: %w", op, err)
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.conn().ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return err
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	return s.migrateTo(ctx, ms)
}

func (s *Store) migrateTo(ctx context.Context, ms []migration) error {
	for _, m := range ms {
		// Each migration in its own transaction; a second process racing
		// here sees the row after taking the write lock and skips.
		tx, err := s.conn().BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		var done int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&done); err != nil {
			tx.Rollback()
			return err
		}
		if done > 0 {
			tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			m.version, m.name, time.Now().UnixMilli()); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watch != nil {
		s.watch.Close()
	}
	return s.db.Close()
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// DataVersion changes whenever another connection or process commits, so
// the window can notice the CLI's writes and reload.
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	var v int64
	s.mu.RLock()
	defer s.mu.RUnlock()
	if err := s.watch.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		return 0, classify(err, "data_version")
	}
	return v, nil
}

// IntegrityCheck runs PRAGMA integrity_check and returns its verdict.
func (s *Store) IntegrityCheck(ctx context.Context) (string, error) {
	var res string
	err := s.conn().QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res)
	return res, err
}

// QuarantineCorrupt moves a corrupt database (and its WAL and shared
// memory files) aside with a timestamp, so the app can start fresh without
// destroying what might still be recovered.
func QuarantineCorrupt(path string) (string, error) {
	dst := fmt.Sprintf("%s.corrupt-%s", path, time.Now().UTC().Format("20060102T150405Z"))
	if err := os.Rename(path, dst); err != nil {
		return "", fmt.Errorf("move corrupt database aside: %w", err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(path + suffix); err == nil {
			if err := os.Rename(path+suffix, dst+suffix); err != nil {
				return dst, fmt.Errorf("move %s aside: %w", suffix, err)
			}
		}
	}
	return dst, nil
}

// ResolveDataDir picks the data directory: the --data-dir flag, then
// RELINK_DATA_DIR, then the platform's per-user data location. It creates
// the directory (0700: history names the user's accounts).
func ResolveDataDir(flag string, getenv func(string) string) (string, error) {
	dir := flag
	if dir == "" {
		dir = getenv("RELINK_DATA_DIR")
	}
	if dir == "" {
		d, err := platformDataDir(getenv)
		if err != nil {
			return "", err
		}
		dir = d
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("data dir %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", newErr(ErrReadOnly, err, "error.data_dir", "path", abs)
	}
	return abs, nil
}

func platformDataDir(getenv func(string) string) (string, error) {
	home := getenv("HOME")
	switch runtime.GOOS {
	case "windows":
		if d := getenv("AppData"); d != "" {
			return filepath.Join(d, "Relink"), nil
		}
		return "", errors.New("data dir: %AppData% is not set")
	case "darwin":
		if home == "" {
			return "", errors.New("data dir: $HOME is not set")
		}
		return filepath.Join(home, "Library", "Application Support", "Relink"), nil
	}
	if d := getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "relink"), nil
	}
	if home == "" {
		return "", errors.New("data dir: neither $XDG_DATA_HOME nor $HOME is set")
	}
	return filepath.Join(home, ".local", "share", "relink"), nil
}

// DBFile is the database's name inside the data dir.
const DBFile = "relink.db"
