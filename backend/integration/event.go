package integration

import "time"

// EventKind names what happened in a history event.
type EventKind string

const (
	EventCheck         EventKind = "check"
	EventStatusChange  EventKind = "status_change"
	EventRefresh       EventKind = "refresh"
	EventReauthorize   EventKind = "reauthorize"
	EventCreated       EventKind = "created"
	EventSettingChange EventKind = "settings_change"
	EventRemoved       EventKind = "removed"
	EventError         EventKind = "error"
	// EventAlert is about a team alert destination, not an integration:
	// it started failing or delivers again.
	EventAlert EventKind = "alert"
)

// Event is one history record. Message is a stable code (see Problem)
// and Params fill its sentence's placeholders; Detail holds redacted,
// language-neutral context.
type Event struct {
	ID            int64             `json:"id"`
	Time          time.Time         `json:"time"`
	IntegrationID string            `json:"integrationId"`
	Integration   string            `json:"integration"`
	Kind          EventKind         `json:"kind"`
	OldStatus     Status            `json:"oldStatus,omitempty"`
	NewStatus     Status            `json:"newStatus,omitempty"`
	Cause         Cause             `json:"cause,omitempty"`
	Message       string            `json:"message,omitempty"`
	Params        map[string]string `json:"params,omitempty"`
	Detail        string            `json:"detail,omitempty"`
	Account       string            `json:"account,omitempty"`
}

// WithProblem records p (nil: none) as the event's message.
func (e Event) WithProblem(p *Problem) Event {
	if p != nil {
		e.Message, e.Params = p.Code, p.Params
	}
	return e
}
