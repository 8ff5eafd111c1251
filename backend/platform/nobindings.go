//go:build !bindings

package platform

// GeneratingBindings is false in every real build.
const GeneratingBindings = false
