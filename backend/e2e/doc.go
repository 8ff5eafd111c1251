// Package e2e holds Relink's end-to-end tests: the sandbox OAuth provider
// (a real fosite server), a real browser (Debian's chromium), the real
// Secret Service, the real `relink` binary, and the catalogue providers'
// twins reached through a TLS-intercepting proxy (backend/internal/twins).
// They run under .ci/with-keyring and skip elsewhere.
package e2e
