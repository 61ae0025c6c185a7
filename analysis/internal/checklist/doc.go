// Package checklist holds what custodyvet's analyzers share: the
// //custody:ignore directive, which files a rule looks at, and the
// recognition of custody's own APIs (safego, chanown, safemap) beside the
// standard library's (sync.Map, sync.WaitGroup, errgroup).
package checklist
