package services

import (
	"context"
	"errors"
	"time"

	"relink/backend/catalog"
	"relink/backend/health"
	"relink/backend/integration"
	"relink/backend/oauth"
	"relink/backend/tokens"
)

// readFailure is the one reading of a failed exchange with a provider, at
// the token endpoint, discovery or revocation, or on the way there: the
// provider's answer read with its dialect, else the local or network error.
func readFailure(p catalog.Provider, err error) health.Verdict {
	var (
		rf *tokens.RefusedError
		re *tokens.ReauthError
		te *oauth.TokenError
		he *oauth.HTTPError
	)
	switch {
	case errors.As(err, &rf):
		return rf.Verdict
	case errors.As(err, &re):
		return health.Verdict{Status: integration.StatusNeedsReauth, Cause: re.Cause, Problem: integration.AsProblem(re)}
	case errors.As(err, &te):
		return health.Read(p.Errors, tokens.TokenObservation(te))
	case errors.As(err, &he):
		return health.Read(p.Errors, health.ObserveAnswer(he.Op, he.Status, he.Header, he.Body))
	case errors.Is(err, oauth.ErrMetadata), errors.Is(err, oauth.ErrIssuerMismatch), errors.Is(err, oauth.ErrNoS256):
		// The issuer the user configured serves no usable metadata: the
		// setting is what to fix.
		pr := integration.NewProblem("problem.issuer_metadata_invalid")
		var ce *integration.CodedError
		if errors.As(err, &ce) {
			pr = ce.Problem
		}
		return health.Verdict{Status: integration.StatusError, Cause: integration.CauseLocalProblem, Problem: pr}
	}
	var ce *integration.CodedError
	if errors.As(err, &ce) && errors.Is(err, oauth.ErrNetwork) {
		err = ce.Cause
	}
	return health.Classify(health.Observation{Err: keychainErr(err), Now: time.Now()})
}

// readProbe reads a probe's answer with the provider's dialect; an API
// key's rejection is read as such, not as an expired token.
func readProbe(p catalog.Provider, o health.Observation) health.Verdict {
	o.APIKey = p.Kind == integration.KindAPIKey
	return health.Read(p.Errors, o)
}

// exchangeFailed reports errors that came from talking to the provider
// (rather than from the user canceling, a timeout or the local listener).
func exchangeFailed(err error) bool {
	var (
		te *oauth.TokenError
		he *oauth.HTTPError
	)
	return errors.As(err, &te) || errors.As(err, &he) || errors.Is(err, oauth.ErrNetwork) ||
		errors.Is(err, oauth.ErrMetadata) || errors.Is(err, oauth.ErrIssuerMismatch) || errors.Is(err, oauth.ErrNoS256)
}

// userError is the error add, reauthorize and remove return for a failed
// exchange with the provider: the problem its reading found, so the user
// is told what happened and what to do, never "inside Relink" for the
// provider's or their own setup's answer. errors.Is still finds the
// original.
func userError(p catalog.Provider, err error) error {
	if !exchangeFailed(err) {
		return err
	}
	v := readFailure(p, err)
	if v.Cause == integration.CauseAppProblem || v.Problem == nil {
		return err
	}
	return &readError{problem: v.Problem, err: err}
}

type readError struct {
	problem *integration.Problem
	err     error
}

func (e *readError) Error() string { return e.problem.Error() }
func (e *readError) Unwrap() error { return e.err }

func (e *readError) As(target any) bool {
	if p, ok := target.(**integration.Problem); ok {
		*p = e.problem
		return true
	}
	return false
}

// readRefusal reads a refused refresh with the integration's provider
// dialect, for the token manager.
func (s *Service) readRefusal(id string, te *oauth.TokenError) health.Verdict {
	o := tokens.TokenObservation(te)
	in, err := s.store.GetIntegration(context.Background(), id)
	if err != nil {
		return health.Read(nil, o)
	}
	p, _ := s.catalog.Get(in.Provider)
	return health.Read(p.Errors, o)
}
