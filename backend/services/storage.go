package services

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"syscall"

	"relink/backend/integration"
)

// StorageView tells the window whether Relink can save its data, and
// why not.
type StorageView struct {
	// Problem is why nothing is saved right now (nil when all is well).
	Problem *integration.Problem `json:"problem,omitempty"`
	// ReadOnly means the data was opened read-only at start: checks wait
	// until it can be written again.
	ReadOnly bool `json:"readOnly"`
	// Notice is a one-time fact from this start (a damaged file kept aside).
	Notice *integration.Problem `json:"notice,omitempty"`
	Path   string               `json:"path"`
}

// EventStorage carries a StorageView whenever it changes.
const EventStorage = "storage:changed"

// Storage reports the data file's state.
func (s *Service) Storage() StorageView {
	return StorageView{
		Problem: storageProblem(s.store.Problem()), ReadOnly: s.store.ReadOnly(),
		Notice: storageProblem(s.store.Notice()), Path: s.store.Path(),
	}
}

// RecoverStorage tries to make the data writable again (the user freed
// space or fixed permissions) and returns the problem that remains. It is
// the one place the store is recovered: the window's retry, an action
// that must be saved, and the monitor's periodic attempt all come here.
func (s *Service) RecoverStorage(ctx context.Context) error {
	if s.store.Problem() == nil {
		return nil
	}
	return s.store.Recover(ctx)
}

// RetryStorage is the window's "try again": it recovers and reports the
// outcome at once.
func (s *Service) RetryStorage(ctx context.Context) StorageView {
	wasReadOnly := s.store.ReadOnly()
	if s.RecoverStorage(ctx) == nil && wasReadOnly {
		s.Reload()
	}
	s.StorageChanged()
	return s.Storage()
}

// DataVersion changes whenever the data is written: by another process
// (the CLI) or through another of this store's pooled connections, so a
// watcher knows when to reload (see monitor's reloads for telling them
// apart over time).
func (s *Service) DataVersion(ctx context.Context) (int64, error) {
	return s.store.DataVersion(ctx)
}

// StorageChanged tells the window the storage state changed.
func (s *Service) StorageChanged() { s.emit(EventStorage, s.Storage()) }

// OpenDataFolder shows the folder holding Relink's data in the file
// manager, where the user can free space or move a damaged file.
func (s *Service) OpenDataFolder() error {
	u := url.URL{Scheme: "file", Path: filepath.Dir(s.store.Path())}
	if err := s.opener.Open(u.String()); err != nil {
		return fmt.Errorf("open data folder: %w", err)
	}
	return nil
}

// writable refuses an action up front while the data cannot be saved, so
// nothing happens at a provider or in the keychain that Relink could not
// record (a removal that revoked tokens but kept the row, say). It first
// tries to recover, in case the cause went away since.
func (s *Service) writable(ctx context.Context) error {
	return s.RecoverStorage(ctx)
}

func storageProblem(err error) *integration.Problem {
	if p := PathProblem(err); p != nil {
		return p
	}
	return integration.AsProblem(err)
}

// PathProblem turns a file system error that carries no Problem of its
// own into a sentence naming the path and what went wrong, instead of Go's
// text inside "Something went wrong inside Relink".
func PathProblem(err error) *integration.Problem {
	var p *integration.Problem
	var pe *fs.PathError
	if errors.As(err, &p) || !errors.As(err, &pe) {
		return nil
	}
	reason := "other"
	switch {
	case errors.Is(err, fs.ErrPermission):
		reason = "permission"
	case errors.Is(err, fs.ErrNotExist):
		reason = "missing"
	case errors.Is(err, syscall.EROFS):
		reason = "read_only"
	case errors.Is(err, syscall.ENOSPC):
		reason = "disk_full"
	case errors.Is(err, syscall.EISDIR):
		reason = "is_dir"
	case errors.Is(err, syscall.ENOTDIR):
		reason = "not_dir"
	}
	return integration.NewProblem("error.path", "path", pe.Path, "reason", reason)
}
