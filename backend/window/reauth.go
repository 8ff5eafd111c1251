package window

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"

	"relink/backend/integration"
	"relink/backend/oauth"
	"relink/backend/services"
)

// EventReauthProgress carries a ReauthProgress.
const EventReauthProgress = "reauth:progress"

// Reauthorization stages reported through EventReauthProgress.
const (
	StageWaiting        = "waiting"
	StageConfirmAccount = "confirm_account"
	StageDone           = "done"
	StageFailed         = "failed"
	StageCanceled       = "canceled"
)

// ReauthStart tells the page how a reauthorization proceeds.
type ReauthStart struct {
	AttemptID string `json:"attemptId"`
	Mode      string `json:"mode"` // "browser" or "secret"
	URL       string `json:"url,omitempty"`
}

// ReauthProgress is the payload of EventReauthProgress.
type ReauthProgress struct {
	AttemptID       string               `json:"attemptId"`
	IntegrationID   string               `json:"integrationId"`
	Stage           string               `json:"stage"`
	URL             string               `json:"url,omitempty"`
	Problem         *integration.Problem `json:"problem,omitempty"`
	Account         string               `json:"account,omitempty"`
	PreviousAccount string               `json:"previousAccount,omitempty"`
	BrowserFailed   bool                 `json:"browserFailed,omitempty"`
}

// Repairer is the shared repair use case as the window drives it.
type Repairer interface {
	PrepareRepair(ctx context.Context, id string) (integration.Kind, error)
	Reauthorize(ctx context.Context, id string, opts services.ReauthOptions) (services.IntegrationView, error)
}

// Reauths are the reauthorizations the page runs: a bound call returns at
// once and the OAuth flow goes on in the background, so the page needs an
// attempt id to cancel it or to answer its wrong-account question.
type Reauths struct {
	repair Repairer
	events Emitter
	// show brings the window forward when an attempt ends, since the user
	// is in the browser by then.
	show func()

	mu       sync.Mutex
	attempts map[string]*attempt
}

// attempt is one reauthorization running for the page.
type attempt struct {
	id            string
	integrationID string
	cancel        context.CancelFunc
	confirm       chan bool
}

// NewReauths reports progress to events; show may be nil.
func NewReauths(repair Repairer, events Emitter, show func()) *Reauths {
	return &Reauths{repair: repair, events: events, show: show, attempts: map[string]*attempt{}}
}

func newAttemptID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Start begins repairing an integration. OAuth runs in the background and
// reports through EventReauthProgress; API keys and databases answer mode
// "secret" so the page asks for the new secret.
func (r *Reauths) Start(ctx context.Context, id string) (ReauthStart, error) {
	kind, err := r.repair.PrepareRepair(ctx, id)
	if err != nil {
		return ReauthStart{}, err
	}
	a := &attempt{id: newAttemptID(), integrationID: id, confirm: make(chan bool, 1)}
	if kind != integration.KindOAuth2 {
		return ReauthStart{AttemptID: a.id, Mode: "secret"}, nil
	}
	actx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	r.mu.Lock()
	for _, other := range r.attempts {
		if other.integrationID == id {
			// One attempt per integration: a new click replaces the old.
			other.cancel()
		}
	}
	r.attempts[a.id] = a
	r.mu.Unlock()
	progress := func(p ReauthProgress) {
		p.AttemptID, p.IntegrationID = a.id, id
		r.events.Emit(EventReauthProgress, p)
	}
	go func() {
		defer func() {
			cancel()
			r.mu.Lock()
			delete(r.attempts, a.id)
			r.mu.Unlock()
		}()
		_, err := r.repair.Reauthorize(actx, id, services.ReauthOptions{
			OnURL: func(url string, opened bool) {
				progress(ReauthProgress{Stage: StageWaiting, URL: url, BrowserFailed: !opened})
			},
			ConfirmAccount: func(prev, next string) bool {
				progress(ReauthProgress{Stage: StageConfirmAccount, Account: next, PreviousAccount: prev})
				select {
				case ok := <-a.confirm:
					return ok
				case <-actx.Done():
					return false
				}
			},
		})
		switch {
		case err == nil:
			progress(ReauthProgress{Stage: StageDone})
			r.bringForward()
		case errors.Is(err, oauth.ErrCanceled):
			progress(ReauthProgress{Stage: StageCanceled})
		default:
			progress(ReauthProgress{Stage: StageFailed, Problem: integration.AsProblem(err)})
			r.bringForward()
		}
	}()
	return ReauthStart{AttemptID: a.id, Mode: "browser"}, nil
}

func (r *Reauths) bringForward() {
	if r.show != nil {
		r.show()
	}
}

func (r *Reauths) find(attemptID string) (*attempt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.attempts[attemptID]
	if !ok {
		return nil, integration.NewProblem("error.attempt_not_found")
	}
	return a, nil
}

// Cancel stops an attempt; its loopback listener closes.
func (r *Reauths) Cancel(attemptID string) error {
	a, err := r.find(attemptID)
	if err != nil {
		return err
	}
	a.cancel()
	return nil
}

// ConfirmAccount answers the wrong-account question of an attempt.
func (r *Reauths) ConfirmAccount(attemptID string, accept bool) error {
	a, err := r.find(attemptID)
	if err != nil {
		return err
	}
	select {
	case a.confirm <- accept:
	default:
	}
	return nil
}
