package window

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"relink/backend/integration"
	"relink/backend/oauth"
	"relink/backend/services"
)

// fakeRepair plays the shared use case: it reports the authorization URL,
// asks about the account when previous is set, and ends with result.
type fakeRepair struct {
	kind     integration.Kind
	refuse   error
	previous string
	result   error
	// started receives the context of each Reauthorize run.
	started chan context.Context
}

func (f *fakeRepair) PrepareRepair(context.Context, string) (integration.Kind, error) {
	return f.kind, f.refuse
}

func (f *fakeRepair) Reauthorize(ctx context.Context, id string, opts services.ReauthOptions) (services.IntegrationView, error) {
	if f.started != nil {
		f.started <- ctx
	}
	opts.OnURL("https://provider.invalid/authorize", false)
	if f.previous != "" && !opts.ConfirmAccount(f.previous, "new@example.invalid") {
		return services.IntegrationView{}, integration.NewProblem("error.account_change_declined")
	}
	if f.result == oauth.ErrCanceled {
		<-ctx.Done()
	}
	return services.IntegrationView{ID: id}, f.result
}

func TestReauthSecretKindsAskForTheSecret(t *testing.T) {
	for _, kind := range []integration.Kind{integration.KindAPIKey, integration.KindDatabase} {
		rec := &recorder{}
		r := NewReauths(&fakeRepair{kind: kind}, rec, nil)
		got, err := r.Start(context.Background(), "db-1")
		if err != nil || got.Mode != "secret" || got.AttemptID == "" {
			t.Errorf("Start(%s) = %+v, %v; want mode secret with an attempt id", kind, got, err)
		}
		if ev := rec.names(); len(ev) != 0 {
			t.Errorf("Start(%s) sent %v; want no events", kind, ev)
		}
	}
}

func TestReauthRefusedUpFront(t *testing.T) {
	refused := errors.New("data is read-only")
	r := NewReauths(&fakeRepair{kind: integration.KindOAuth2, refuse: refused}, &recorder{}, nil)
	if _, err := r.Start(context.Background(), "gh-1"); !errors.Is(err, refused) {
		t.Errorf("Start while refused: %v; want %v", err, refused)
	}
}

func TestReauthReportsEachStage(t *testing.T) {
	tests := []struct {
		name     string
		previous string
		accept   bool
		result   error
		want     []string
		wantShow int32
	}{
		{"done", "", false, nil, []string{StageWaiting, StageDone}, 1},
		{"failed", "", false, integration.NewProblem("problem.invalid_grant"), []string{StageWaiting, StageFailed}, 1},
		{"other account accepted", "old@example.invalid", true, nil, []string{StageWaiting, StageConfirmAccount, StageDone}, 1},
		{"other account declined", "old@example.invalid", false, nil, []string{StageWaiting, StageConfirmAccount, StageFailed}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{got: make(chan ReauthProgress, 4)}
			var shown atomic.Int32
			r := NewReauths(&fakeRepair{kind: integration.KindOAuth2, previous: tc.previous, result: tc.result}, rec, func() { shown.Add(1) })
			start, err := r.Start(context.Background(), "gh-1")
			if err != nil || start.Mode != "browser" {
				t.Fatalf("Start = %+v, %v; want mode browser", start, err)
			}
			var stages []string
			for p := range rec.got {
				if p.AttemptID != start.AttemptID || p.IntegrationID != "gh-1" {
					t.Errorf("progress for %s/%s; want %s/gh-1", p.AttemptID, p.IntegrationID, start.AttemptID)
				}
				stages = append(stages, p.Stage)
				if p.Stage == StageConfirmAccount {
					if err := r.ConfirmAccount(start.AttemptID, tc.accept); err != nil {
						t.Fatalf("ConfirmAccount: %v", err)
					}
				}
				if p.Stage == StageDone || p.Stage == StageFailed {
					break
				}
			}
			if fmt.Sprint(stages) != fmt.Sprint(tc.want) {
				t.Errorf("stages = %v; want %v", stages, tc.want)
			}
			waitGone(t, r, start.AttemptID)
			if got := shown.Load(); got != tc.wantShow {
				t.Errorf("window shown %d times; want %d", got, tc.wantShow)
			}
		})
	}
}

func TestReauthCancel(t *testing.T) {
	rec := &recorder{got: make(chan ReauthProgress, 4)}
	var shown atomic.Int32
	r := NewReauths(&fakeRepair{kind: integration.KindOAuth2, result: oauth.ErrCanceled}, rec, func() { shown.Add(1) })
	start, err := r.Start(context.Background(), "gh-1")
	if err != nil {
		t.Fatal(err)
	}
	if p := <-rec.got; p.Stage != StageWaiting {
		t.Fatalf("first stage %s; want %s", p.Stage, StageWaiting)
	}
	if err := r.Cancel(start.AttemptID); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if p := <-rec.got; p.Stage != StageCanceled {
		t.Errorf("stage after Cancel = %s; want %s", p.Stage, StageCanceled)
	}
	waitGone(t, r, start.AttemptID)
	if shown.Load() != 0 {
		t.Errorf("a canceled attempt brought the window forward")
	}
}

// A second click on Reauthorize replaces the first attempt.
func TestReauthOneAttemptPerIntegration(t *testing.T) {
	started := make(chan context.Context, 2)
	rec := &recorder{got: make(chan ReauthProgress, 8)}
	r := NewReauths(&fakeRepair{kind: integration.KindOAuth2, result: oauth.ErrCanceled, started: started}, rec, nil)
	first, err := r.Start(context.Background(), "gh-1")
	if err != nil {
		t.Fatal(err)
	}
	firstCtx := <-started
	second, err := r.Start(context.Background(), "gh-1")
	if err != nil {
		t.Fatal(err)
	}
	<-started
	<-firstCtx.Done()
	waitGone(t, r, first.AttemptID)
	if _, err := r.find(second.AttemptID); err != nil {
		t.Errorf("the second attempt is gone too: %v", err)
	}
	r.Cancel(second.AttemptID)
	waitGone(t, r, second.AttemptID)
}

func TestReauthUnknownAttempt(t *testing.T) {
	r := NewReauths(&fakeRepair{}, &recorder{}, nil)
	for name, err := range map[string]error{"Cancel": r.Cancel("nope"), "ConfirmAccount": r.ConfirmAccount("nope", true)} {
		if p := integration.AsProblem(err); p.Code != "error.attempt_not_found" {
			t.Errorf("%s(unknown) = %v; want error.attempt_not_found", name, err)
		}
	}
}

// waitGone waits until the attempt's goroutine has forgotten it: that
// happens after its last event, so there is nothing else to wait on.
func waitGone(t *testing.T, r *Reauths, id string) {
	t.Helper()
	for {
		if _, err := r.find(id); err != nil {
			return
		}
		runtime.Gosched()
	}
}
