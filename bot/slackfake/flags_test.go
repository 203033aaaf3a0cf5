package slackfake

import "flag"

// The repository refreshes golden files with `go test ./bot/... -update`;
// this package has none, but must accept the flag.
var _ = flag.Bool("update", false, "no golden files here; accepted for go test ./bot/... -update")
