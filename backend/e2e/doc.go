// Package e2e holds Relink's end-to-end tests: the sandbox OAuth provider
// (a real fosite server), a real browser (Debian's chromium), the real
// Secret Service and the real `relink` binary. They run under
// .ci/with-keyring and skip elsewhere.
package e2e
