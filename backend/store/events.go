package store

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"relink/backend/integration"
)

// EventFilter selects history events. Zero values mean "any".
type EventFilter struct {
	IntegrationID string
	Statuses      []integration.Status
	Causes        []integration.Cause
	Kinds         []integration.EventKind
	Since, Until  time.Time
	BeforeID      int64 // keyset paging: only events with a smaller id
	Limit         int   // default 50, max 1000; ignored by ExportCSV
}

const (
	defaultLimit = 50
	maxLimit     = 1000
)

// AppendEvents writes events in one transaction.
func (s *Store) AppendEvents(ctx context.Context, evs ...integration.Event) error {
	if len(evs) == 0 {
		return nil
	}
	return s.write(ctx, func(tx *sql.Tx) error { return insertEvents(ctx, tx, evs) })
}

// insertEvents adds evs inside tx, so a change and its history commit
// together or not at all.
func insertEvents(ctx context.Context, tx *sql.Tx, evs []integration.Event) error {
	if len(evs) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO events (time, integration_id, integration_name, kind,
		old_status, new_status, cause, message, detail, account, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return classify(err, "append events")
	}
	defer stmt.Close()
	for _, e := range evs {
		t := e.Time
		if t.IsZero() {
			t = time.Now()
		}
		var id any
		if e.IntegrationID != "" {
			id = e.IntegrationID
		}
		if _, err := stmt.ExecContext(ctx, t.UnixMilli(), id, e.Integration, string(e.Kind), string(e.OldStatus),
			string(e.NewStatus), string(e.Cause), e.Message, e.Detail, e.Account, paramsJSON(e.Params)); err != nil {
			return classify(err, "append events")
		}
	}
	return nil
}

func (f EventFilter) where() (string, []any) {
	var conds []string
	var args []any
	in := func(col string, vals []string) {
		if len(vals) == 0 {
			return
		}
		conds = append(conds, col+" IN ("+strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",")+")")
		for _, v := range vals {
			args = append(args, v)
		}
	}
	if f.IntegrationID != "" {
		conds = append(conds, "integration_id = ?")
		args = append(args, f.IntegrationID)
	}
	in("new_status", toStrings(f.Statuses))
	in("cause", toStrings(f.Causes))
	in("kind", toStrings(f.Kinds))
	if !f.Since.IsZero() {
		conds = append(conds, "time >= ?")
		args = append(args, f.Since.UnixMilli())
	}
	if !f.Until.IsZero() {
		conds = append(conds, "time < ?")
		args = append(args, f.Until.UnixMilli())
	}
	if f.BeforeID > 0 {
		conds = append(conds, "id < ?")
		args = append(args, f.BeforeID)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

func toStrings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

const eventCols = `id, time, coalesce(integration_id, ''), integration_name, kind, old_status, new_status, cause, message, detail, account, params`

// paramsJSON stores a message's params (” when there are none).
func paramsJSON(p map[string]string) string {
	if len(p) == 0 {
		return ""
	}
	b, _ := json.Marshal(p) // a map of strings always marshals
	return string(b)
}

func (f EventFilter) query() (string, []any) {
	where, args := f.where()
	return `SELECT ` + eventCols + ` FROM events` + where + ` ORDER BY id DESC`, args
}

func scanEvent(r scanner) (integration.Event, error) {
	var e integration.Event
	var t int64
	var kind, oldS, newS, cause, params string
	err := r.Scan(&e.ID, &t, &e.IntegrationID, &e.Integration, &kind, &oldS, &newS, &cause, &e.Message, &e.Detail, &e.Account, &params)
	if params != "" {
		// A malformed value only loses the placeholders, never the event.
		json.Unmarshal([]byte(params), &e.Params)
	}
	e.Time = time.UnixMilli(t).UTC()
	e.Kind, e.OldStatus, e.NewStatus, e.Cause = integration.EventKind(kind), integration.Status(oldS), integration.Status(newS), integration.Cause(cause)
	return e, err
}

// QueryEvents returns one page of matching events, newest first.
func (s *Store) QueryEvents(ctx context.Context, f EventFilter) ([]integration.Event, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	if limit > maxLimit {
		limit = maxLimit
	}
	q, args := f.query()
	rows, err := s.conn().QueryContext(ctx, q+` LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, classify(err, "query events")
	}
	defer rows.Close()
	out := make([]integration.Event, 0, limit)
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, classify(err, "query events")
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ExplainEvents returns SQLite's query plan for a filter (tests assert the
// History view's filters use an index).
func (s *Store) ExplainEvents(ctx context.Context, f EventFilter) (string, error) {
	q, args := f.query()
	rows, err := s.conn().QueryContext(ctx, `EXPLAIN QUERY PLAN `+q+` LIMIT 50`, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", err
		}
		b.WriteString(detail + "\n")
	}
	return b.String(), rows.Err()
}

// CSVHeader is the first row of an export.
var CSVHeader = []string{"id", "time", "integration_id", "integration", "event", "old_status", "new_status", "cause", "message", "detail", "account", "params"}

// ExportCSV streams every matching event as RFC 4180 CSV (UTF-8, header
// row). Cells that a spreadsheet would run as a formula are prefixed with
// an apostrophe.
func (s *Store) ExportCSV(ctx context.Context, w io.Writer, f EventFilter) error {
	q, args := f.query()
	rows, err := s.conn().QueryContext(ctx, q, args...)
	if err != nil {
		return classify(err, "export events")
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return classify(err, "export events")
		}
		rec := []string{fmt.Sprint(e.ID), e.Time.Format(time.RFC3339Nano), e.IntegrationID, e.Integration, string(e.Kind),
			string(e.OldStatus), string(e.NewStatus), string(e.Cause), e.Message, e.Detail, e.Account, paramsJSON(e.Params)}
		for i := range rec {
			rec[i] = CSVSafe(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// CSVSafe neutralises spreadsheet formula injection.
func CSVSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// Prune deletes up to batch events older than before and returns how many
// it deleted; callers loop with pauses so no write lock is held for long.
func (s *Store) Prune(ctx context.Context, before time.Time, batch int) (int, error) {
	if batch <= 0 {
		batch = 500
	}
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE id IN (SELECT id FROM events WHERE time < ? ORDER BY time LIMIT ?)`,
			before.UnixMilli(), batch)
		if err != nil {
			return classify(err, "prune events")
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}
