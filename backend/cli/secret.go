package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"golang.org/x/term"

	"relink/backend/integration"
	"relink/backend/secrets"
)

// maxSecret is the largest secret read from stdin or a file.
const maxSecret = 1 << 16

// readSecret reads one secret from stdin. From a pipe or file it takes the
// first line, trimmed of its newline, so `echo key | relink ...` and
// `relink ... < file` both work. On a terminal it shows prompt and reads
// with echo off, so the secret never shows on screen.
func (c *cmdCtx) readSecret(ctx context.Context, prompt string) (string, error) {
	if f, ok := c.env.Stdin.(interface{ Fd() uintptr }); ok && isTerminal(c.env.Stdin) {
		fd := int(f.Fd())
		saved, err := term.GetState(fd)
		if err != nil {
			return "", fmt.Errorf("read secret from the terminal: %w", err)
		}
		fmt.Fprint(c.env.Stderr, prompt+" ")
		type result struct {
			data []byte
			err  error
		}
		done := make(chan result, 1)
		go func() {
			data, err := term.ReadPassword(fd)
			done <- result{data, err}
		}()
		select {
		case r := <-done:
			// The user's Enter was not echoed either: end the prompt line.
			fmt.Fprintln(c.env.Stderr)
			if r.err != nil {
				return "", fmt.Errorf("read secret from the terminal: %w", r.err)
			}
			return checkSecret(r.data)
		case <-ctx.Done():
			// Ctrl-C is caught to cancel ctx, so the read would go on:
			// give the terminal its echo back and stop here.
			term.Restore(fd, saved)
			fmt.Fprintln(c.env.Stderr)
			return "", integration.NewProblem("cli.msg.cancelled")
		}
	}
	data, err := io.ReadAll(io.LimitReader(c.env.Stdin, maxSecret+1))
	if err != nil {
		return "", fmt.Errorf("read secret from stdin: %w", err)
	}
	return checkSecret(data)
}

func checkSecret(data []byte) (string, error) {
	if len(data) > maxSecret {
		return "", usage("cli.error.secret_too_long", "max", "64 KB")
	}
	s := strings.TrimRight(string(data), "\r\n")
	if s == "" {
		return "", usage("cli.error.secret_empty")
	}
	return s, nil
}

// secretPrompt asks for a provider's secret field ("API key",
// "Password") of the integration name, in the user's language.
func (c *cmdCtx) secretPrompt(field, name string) string {
	if field == "" {
		field = secrets.SlotAPIKey
	}
	return c.t("cli.msg.secret_prompt", "field", c.t("field."+field), "name", name)
}
