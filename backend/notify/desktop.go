package notify

import (
	"context"
	"errors"
	"strings"

	"relink/backend/integration"
)

// desktop turns a window's changes into at most two desktop
// notifications: one for the breaks, one for the recoveries.
type desktop struct {
	sender Sender
	tr     Translator
}

func (d desktop) Deliver(ctx context.Context, items []Item) error {
	var breaks, recoveries []Item
	for _, it := range items {
		switch it.Change {
		case Broke:
			breaks = append(breaks, it)
		case Recovered:
			recoveries = append(recoveries, it)
		}
	}
	var errs []error
	if len(breaks) > 0 {
		errs = append(errs, d.sender.Send(ctx, d.broken(breaks)))
	}
	if len(recoveries) > 0 {
		errs = append(errs, d.sender.Send(ctx, d.recovered(recoveries)))
	}
	return errors.Join(errs...)
}

func (d desktop) broken(ps []Item) Notification {
	if len(ps) == 1 {
		p := ps[0].Integration
		body := "notify.body.error"
		switch ps[0].To {
		case integration.StatusNeedsReauth:
			body = "notify.body.needs_reauth"
		case integration.StatusDegraded:
			body = "notify.body.degraded"
		}
		return Notification{
			Title:  d.tr.T("notify.broken.title", map[string]string{"name": p.Name}),
			Body:   d.tr.T(body, nil),
			Target: p.ID,
			Action: d.tr.T("notify.action.fix", nil),
		}
	}
	return Notification{
		Title:  d.tr.Plural("notify.broken_many.title", len(ps), nil),
		Body:   d.names(ps),
		Action: d.tr.T("notify.action.open", nil),
	}
}

func (d desktop) recovered(ps []Item) Notification {
	if len(ps) == 1 {
		return Notification{
			Title:  d.tr.T("notify.recovered.title", map[string]string{"name": ps[0].Integration.Name}),
			Body:   d.tr.T("notify.body.recovered", nil),
			Action: d.tr.T("notify.action.open", nil),
		}
	}
	return Notification{
		Title:  d.tr.Plural("notify.recovered_many.title", len(ps), nil),
		Body:   d.names(ps),
		Action: d.tr.T("notify.action.open", nil),
	}
}

// names lists up to maxNames names, then how many more.
func (d desktop) names(ps []Item) string {
	var names []string
	for i, p := range ps {
		if i == maxNames {
			break
		}
		names = append(names, p.Integration.Name)
	}
	list := strings.Join(names, ", ")
	if len(ps) > maxNames {
		list += " " + d.tr.Plural("notify.more", len(ps)-maxNames, nil)
	}
	return list
}
