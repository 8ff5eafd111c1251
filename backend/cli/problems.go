package cli

import (
	"fmt"

	"relink/backend/integration"
	"relink/backend/services"
)

// printProblems says, under a table, what went wrong with each integration
// that needs attention and what to do; when new credentials will not help
// (an admin setting, the user's OAuth app) it names the page where the fix
// is, so nobody loops on `relink reauth`.
func (c *cmdCtx) printProblems(views []services.IntegrationView) {
	for _, v := range views {
		if !integration.NeedsAttention(v.Status) || v.Problem == nil {
			continue
		}
		line := v.Name + ": " + c.env.I18n.Problem(c.lang, v.Problem)
		if integration.FixedElsewhere(v.Status, v.Cause, v.Problem) && v.HelpURL != "" {
			line += " " + c.t("cli.msg.fix_at", "url", v.HelpURL)
		}
		fmt.Fprintln(c.env.Stdout, line)
	}
}
