package cli

import (
	"relink/backend/integration"
	"relink/backend/services"
)

// problemNote says what went wrong with an integration that needs
// attention and what to do, for the line under its row; when new
// credentials will not help (an admin setting, the user's OAuth app) it
// names the page where the fix is, so nobody loops on `relink reauth`.
func (c *cmdCtx) problemNote(v services.IntegrationView) string {
	if !integration.NeedsAttention(v.Status) || v.Problem == nil {
		return ""
	}
	note := c.env.I18n.Problem(c.lang, v.Problem)
	if integration.FixedElsewhere(v.Status, v.Cause, v.Problem) && v.HelpURL != "" {
		note += " " + c.t("cli.msg.fix_at", "url", v.HelpURL)
	}
	return note
}
