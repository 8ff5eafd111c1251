package alerts

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"relink/backend/integration"
)

// Format is how a destination wants its messages.
type Format string

const (
	// FormatSlack posts to a Slack incoming webhook: a JSON body with a
	// `text` fallback and Block Kit `blocks`.
	// Source: https://api.slack.com/messaging/webhooks and
	// https://api.slack.com/reference/block-kit/blocks
	FormatSlack Format = "slack"
	// FormatTeams posts an Adaptive Card message to a Microsoft Teams
	// incoming webhook or Workflows (Power Automate) URL.
	// Source: https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook
	FormatTeams Format = "teams"
	// FormatJSON posts the Event as is (schema relink.alert.v1).
	FormatJSON Format = "json"
)

// formats lists the formats in the order Settings offers them.
var formats = []Format{FormatSlack, FormatTeams, FormatJSON}

// Valid reports whether f is a known format.
func (f Format) Valid() bool {
	for _, g := range formats {
		if f == g {
			return true
		}
	}
	return false
}

// Translator renders message keys in the user's language;
// backend/i18n.Translator satisfies it.
type Translator interface {
	T(key string, params map[string]string) string
	Plural(key string, n int, params map[string]string) string
	Problem(p *integration.Problem) string
}

// slackMaxSections keeps a message under Slack's 50-block limit
// (https://api.slack.com/reference/block-kit/blocks) with the header and
// the "and N more" line.
const slackMaxSections = 40

// Render builds the request body for format.
func Render(f Format, ev Event, tr Translator) ([]byte, error) {
	switch f {
	case FormatJSON:
		return json.Marshal(ev)
	case FormatSlack:
		return json.Marshal(slack(ev, tr))
	case FormatTeams:
		return json.Marshal(teams(ev, tr))
	}
	return nil, fmt.Errorf("render alert: unknown format %q", f)
}

// Title is the message's one-line summary in the user's language.
func Title(ev Event, tr Translator) string {
	n := len(ev.Integrations)
	name := ""
	if n > 0 {
		name = ev.Integrations[0].Name
	}
	switch {
	case ev.Kind == KindTest:
		return tr.T("alerts.test.title", nil)
	case n == 1:
		return tr.T("alerts."+string(ev.Kind)+".title", map[string]string{"name": name})
	}
	return tr.Plural("alerts."+string(ev.Kind)+"_many.title", n, nil)
}

// line describes one integration: name, provider, status and what is
// wrong or when access ends.
func line(in Integration, tr Translator) (head, detail string) {
	head = tr.T("alerts.line", map[string]string{
		"name": in.Name, "provider": in.ProviderName, "status": tr.T("status."+string(in.NewStatus), nil),
	})
	switch {
	case in.ExpiresAt != nil:
		detail = tr.T("alerts.expires_at", map[string]string{"time": in.ExpiresAt.UTC().Format(time.RFC3339)})
	case in.Problem != nil:
		detail = tr.Problem(in.Problem)
	case in.Cause != "":
		detail = tr.T("cause."+string(in.Cause), nil)
	}
	return head, detail
}

// slackEscape escapes what Slack's mrkdwn treats as control characters.
// Source: https://api.slack.com/reference/surfaces/formatting#escaping
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type slackBlock struct {
	Type string     `json:"type"`
	Text *slackText `json:"text,omitempty"`
}

type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

func slack(ev Event, tr Translator) slackMessage {
	title := Title(ev, tr)
	msg := slackMessage{Text: title, Blocks: []slackBlock{{Type: "header", Text: &slackText{Type: "plain_text", Text: title}}}}
	for i, in := range ev.Integrations {
		if i == slackMaxSections {
			more := tr.Plural("notify.more", len(ev.Integrations)-i, nil)
			msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: slackEscape(more)}})
			break
		}
		head, detail := line(in, tr)
		text := "*" + slackEscape(head) + "*"
		if detail != "" {
			text += "\n" + slackEscape(detail)
		}
		text += "\n<" + in.Link + "|" + slackEscape(tr.T("alerts.open", nil)) + ">"
		msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: text}})
	}
	return msg
}

type teamsMessage struct {
	Type        string            `json:"type"`
	Attachments []teamsAttachment `json:"attachments"`
}

type teamsAttachment struct {
	ContentType string    `json:"contentType"`
	ContentURL  *string   `json:"contentUrl"`
	Content     teamsCard `json:"content"`
}

type teamsCard struct {
	Schema  string           `json:"$schema"`
	Type    string           `json:"type"`
	Version string           `json:"version"`
	Body    []map[string]any `json:"body"`
}

type teamsFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

func teams(ev Event, tr Translator) teamsMessage {
	body := []map[string]any{{"type": "TextBlock", "text": Title(ev, tr), "weight": "Bolder", "size": "Medium", "wrap": true}}
	for _, in := range ev.Integrations {
		head, detail := line(in, tr)
		facts := []teamsFact{{Title: tr.T("alerts.fact.status", nil), Value: tr.T("status."+string(in.NewStatus), nil)}}
		if detail != "" {
			facts = append(facts, teamsFact{Title: tr.T("alerts.fact.detail", nil), Value: detail})
		}
		facts = append(facts, teamsFact{Title: tr.T("alerts.open", nil), Value: in.Link})
		body = append(body,
			map[string]any{"type": "TextBlock", "text": head, "weight": "Bolder", "wrap": true, "separator": true},
			map[string]any{"type": "FactSet", "facts": facts})
	}
	return teamsMessage{Type: "message", Attachments: []teamsAttachment{{
		ContentType: "application/vnd.microsoft.card.adaptive",
		Content: teamsCard{
			Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4", Body: body,
		},
	}}}
}
