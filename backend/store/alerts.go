package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"relink/backend/integration"
)

// AlertDestination is one team alert receiver as Settings shows it; its
// URL is in the keychain.
type AlertDestination struct {
	ID              string    `json:"id"`
	Label           string    `json:"label"`
	Format          string    `json:"format"`
	CreatedAt       time.Time `json:"createdAt"`
	LastAttemptAt   time.Time `json:"lastAttemptAt"`
	LastDeliveredAt time.Time `json:"lastDeliveredAt"`
	LastStatus      int       `json:"lastStatus"`
	LastError       string    `json:"lastError,omitempty"`
	FailingSince    time.Time `json:"failingSince"`
	Pending         int       `json:"pending"`
}

// OutboxItem is one message waiting for one destination.
type OutboxItem struct {
	Seq           int64
	DestinationID string
	Event         string
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
}

// ErrDuplicateAlert means another destination has the same label.
var ErrDuplicateAlert = errors.New("alert destination exists")

// CreateAlertDestination adds a destination.
func (s *Store) CreateAlertDestination(ctx context.Context, d AlertDestination) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO alert_destinations (id, label, format, created_at) VALUES (?, ?, ?, ?)`,
			d.ID, d.Label, d.Format, ms(d.CreatedAt))
		if isUnique(err) {
			return newErr(ErrDuplicateAlert, err, "error.alert_exists", "name", d.Label)
		}
		return classify(err, "create alert destination")
	})
}

// AlertDestinations lists destinations by label, each with its count of
// messages waiting.
func (s *Store) AlertDestinations(ctx context.Context) ([]AlertDestination, error) {
	rows, err := s.conn().QueryContext(ctx, `SELECT d.id, d.label, d.format, d.created_at, d.last_attempt_at,
		d.last_delivered_at, d.last_status, d.last_error, d.failing_since,
		(SELECT COUNT(*) FROM alert_outbox o WHERE o.destination_id = d.id)
		FROM alert_destinations d ORDER BY d.label COLLATE NOCASE`)
	if err != nil {
		return nil, classify(err, "list alert destinations")
	}
	defer rows.Close()
	var out []AlertDestination
	for rows.Next() {
		var d AlertDestination
		var created, attempt, delivered, failing int64
		if err := rows.Scan(&d.ID, &d.Label, &d.Format, &created, &attempt, &delivered, &d.LastStatus, &d.LastError, &failing, &d.Pending); err != nil {
			return nil, classify(err, "list alert destinations")
		}
		d.CreatedAt, d.LastAttemptAt, d.LastDeliveredAt, d.FailingSince = fromMS(created), fromMS(attempt), fromMS(delivered), fromMS(failing)
		out = append(out, d)
	}
	return out, classify(rows.Err(), "list alert destinations")
}

// DeleteAlertDestination removes a destination and what waits for it.
func (s *Store) DeleteAlertDestination(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM alert_destinations WHERE id = ?`, id)
		if err != nil {
			return classify(err, "delete alert destination")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound(id)
		}
		return nil
	})
}

// EnqueueAlert queues event for every destination, in one transaction.
func (s *Store) EnqueueAlert(ctx context.Context, event string, at time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO alert_outbox (destination_id, event, created_at, next_attempt_at)
			SELECT id, ?, ?, 0 FROM alert_destinations ORDER BY id`, event, ms(at))
		return classify(err, "queue alert")
	})
}

// NextAlerts returns the oldest waiting message of each destination.
func (s *Store) NextAlerts(ctx context.Context) ([]OutboxItem, error) {
	rows, err := s.conn().QueryContext(ctx, `SELECT seq, destination_id, event, created_at, attempts, next_attempt_at
		FROM alert_outbox WHERE seq IN (SELECT MIN(seq) FROM alert_outbox GROUP BY destination_id) ORDER BY seq`)
	if err != nil {
		return nil, classify(err, "read alert outbox")
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		var it OutboxItem
		var created, next int64
		if err := rows.Scan(&it.Seq, &it.DestinationID, &it.Event, &created, &it.Attempts, &next); err != nil {
			return nil, classify(err, "read alert outbox")
		}
		it.CreatedAt, it.NextAttemptAt = fromMS(created), fromMS(next)
		out = append(out, it)
	}
	return out, classify(rows.Err(), "read alert outbox")
}

// AlertDelivered removes a delivered message and records the answer;
// ev (if any) is the history event for a destination that recovered.
func (s *Store) AlertDelivered(ctx context.Context, it OutboxItem, status int, at time.Time, evs ...integration.Event) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM alert_outbox WHERE seq = ?`, it.Seq); err != nil {
			return classify(err, "alert delivered")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE alert_destinations SET last_attempt_at = ?, last_delivered_at = ?,
			last_status = ?, last_error = '', failing_since = 0 WHERE id = ?`, ms(at), ms(at), status, it.DestinationID); err != nil {
			return classify(err, "alert delivered")
		}
		return insertEvents(ctx, tx, evs)
	})
}

// AlertFailed records a failed attempt and when to try again; evs (if
// any) is the history event for a destination that started failing.
func (s *Store) AlertFailed(ctx context.Context, it OutboxItem, status int, reason string, at, next time.Time, evs ...integration.Event) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE alert_outbox SET attempts = attempts + 1, next_attempt_at = ? WHERE seq = ?`,
			ms(next), it.Seq); err != nil {
			return classify(err, "alert failed")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE alert_destinations SET last_attempt_at = ?, last_status = ?, last_error = ?,
			failing_since = CASE failing_since WHEN 0 THEN ? ELSE failing_since END WHERE id = ?`,
			ms(at), status, reason, ms(at), it.DestinationID); err != nil {
			return classify(err, fmt.Sprintf("alert failed %s", it.DestinationID))
		}
		return insertEvents(ctx, tx, evs)
	})
}
