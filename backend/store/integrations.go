package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"relink/backend/integration"
)

const integrationCols = `id, name, provider, kind, settings, account, required_scopes, granted_scopes,
	status, cause, problem, paused, last_checked, last_healthy, access_expires_at, refresh_expires_at,
	created_at, updated_at, metadata, unconfirmed`

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func args(in integration.Integration) ([]any, error) {
	settings, err := json.Marshal(nonNilMap(in.Settings))
	if err != nil {
		return nil, err
	}
	req, _ := json.Marshal(nonNilSlice(in.RequiredScopes))
	granted, _ := json.Marshal(nonNilSlice(in.GrantedScopes))
	metadata, _ := json.Marshal(nonNilMap(in.Metadata))
	paused := 0
	if in.Paused {
		paused = 1
	}
	return []any{in.ID, in.Name, in.Provider, string(in.Kind), string(settings), in.Account, string(req), string(granted),
		string(in.Status), string(in.Cause), problemJSON(in.Problem), paused, ms(in.LastChecked), ms(in.LastHealthy),
		ms(in.Expiry.AccessExpiresAt), ms(in.Expiry.RefreshExpiresAt), ms(in.CreatedAt), ms(in.UpdatedAt),
		string(metadata), problemJSON(in.Unconfirmed)}, nil
}

// problemJSON stores a problem as JSON, nil as ”.
func problemJSON(p *integration.Problem) string {
	if p == nil {
		return ""
	}
	b, _ := json.Marshal(p)
	return string(b)
}

// parseProblem reads what problemJSON wrote; ” or damaged JSON is none.
func parseProblem(s string) *integration.Problem {
	if s == "" {
		return nil
	}
	p := &integration.Problem{}
	if json.Unmarshal([]byte(s), p) != nil {
		return nil
	}
	return p
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func nonNilSlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type scanner interface{ Scan(...any) error }

func scanIntegration(r scanner) (integration.Integration, error) {
	var (
		in                                          integration.Integration
		kind, settings, req, granted, status, cause string
		problem, metadata, unconfirmed              string
		paused                                      int
		lc, lh, ae, re, ca, ua                      int64
	)
	if err := r.Scan(&in.ID, &in.Name, &in.Provider, &kind, &settings, &in.Account, &req, &granted,
		&status, &cause, &problem, &paused, &lc, &lh, &ae, &re, &ca, &ua, &metadata, &unconfirmed); err != nil {
		return in, err
	}
	in.Kind, in.Status, in.Cause, in.Paused = integration.Kind(kind), integration.Status(status), integration.Cause(cause), paused != 0
	in.LastChecked, in.LastHealthy = fromMS(lc), fromMS(lh)
	in.Expiry = integration.Expiry{AccessExpiresAt: fromMS(ae), RefreshExpiresAt: fromMS(re)}
	in.CreatedAt, in.UpdatedAt = fromMS(ca), fromMS(ua)
	if err := json.Unmarshal([]byte(settings), &in.Settings); err != nil {
		return in, fmt.Errorf("integration %s settings: %w", in.ID, err)
	}
	_ = json.Unmarshal([]byte(req), &in.RequiredScopes)
	_ = json.Unmarshal([]byte(granted), &in.GrantedScopes)
	_ = json.Unmarshal([]byte(metadata), &in.Metadata)
	in.Problem, in.Unconfirmed = parseProblem(problem), parseProblem(unconfirmed)
	return in, nil
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

func duplicate(name string) error {
	return newErr(ErrDuplicateName, nil, "error.name_taken", "name", name)
}

func notFound(ref string) error {
	return newErr(ErrNotFound, nil, "error.integration_not_found", "ref", ref)
}

// CreateIntegration inserts a new integration and, in the same
// transaction, the events that record it.
func (s *Store) CreateIntegration(ctx context.Context, in integration.Integration, evs ...integration.Event) error {
	a, err := args(in)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO integrations (`+integrationCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, a...)
		if isUnique(err) {
			return duplicate(in.Name)
		}
		if err != nil {
			return classify(err, "create integration")
		}
		return insertEvents(ctx, tx, evs)
	})
}

// UpdateIntegration replaces a stored integration's fields and records
// evs in the same transaction: a status change never lacks its history.
func (s *Store) UpdateIntegration(ctx context.Context, in integration.Integration, evs ...integration.Event) error {
	a, err := args(in)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE integrations SET name=?2, provider=?3, kind=?4, settings=?5, account=?6,
			required_scopes=?7, granted_scopes=?8, status=?9, cause=?10, problem=?11, paused=?12, last_checked=?13,
			last_healthy=?14, access_expires_at=?15, refresh_expires_at=?16, created_at=?17, updated_at=?18,
			metadata=?19, unconfirmed=?20 WHERE id=?1`, a...)
		if isUnique(err) {
			return duplicate(in.Name)
		}
		if err != nil {
			return classify(err, "update integration")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound(in.ID)
		}
		return insertEvents(ctx, tx, evs)
	})
}

// GetIntegration loads one integration by id.
func (s *Store) GetIntegration(ctx context.Context, id string) (integration.Integration, error) {
	in, err := scanIntegration(s.conn().QueryRowContext(ctx, `SELECT `+integrationCols+` FROM integrations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return in, notFound(id)
	}
	if err != nil {
		return in, classify(err, "get integration")
	}
	return in, nil
}

// FindIntegration resolves what a user typed: an exact id, else a name
// (case-insensitive).
func (s *Store) FindIntegration(ctx context.Context, ref string) (integration.Integration, error) {
	in, err := s.GetIntegration(ctx, ref)
	if !errors.Is(err, ErrNotFound) {
		return in, err
	}
	in, err = scanIntegration(s.conn().QueryRowContext(ctx, `SELECT `+integrationCols+` FROM integrations WHERE name = ? COLLATE NOCASE`, strings.TrimSpace(ref)))
	if errors.Is(err, sql.ErrNoRows) {
		return in, notFound(ref)
	}
	if err != nil {
		return in, classify(err, "find integration")
	}
	return in, nil
}

// ListIntegrations returns every integration ordered by name.
func (s *Store) ListIntegrations(ctx context.Context) ([]integration.Integration, error) {
	rows, err := s.conn().QueryContext(ctx, `SELECT `+integrationCols+` FROM integrations ORDER BY name COLLATE NOCASE`)
	if err != nil {
		return nil, classify(err, "list integrations")
	}
	defer rows.Close()
	var out []integration.Integration
	for rows.Next() {
		in, err := scanIntegration(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// DeleteIntegration records evs and removes an integration in one
// transaction; its history stays with the id nulled and the name kept.
func (s *Store) DeleteIntegration(ctx context.Context, id string, evs ...integration.Event) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := insertEvents(ctx, tx, evs); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM integrations WHERE id = ?`, id)
		if err != nil {
			return classify(err, "delete integration")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound(id)
		}
		return nil
	})
}

// Setting reads one setting.
func (s *Store) Setting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.conn().QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, classify(err, "read setting")
	}
	return v, true, nil
}

// SetSetting writes one setting.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
		return classify(err, "write setting")
	})
}
