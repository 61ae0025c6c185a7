// Package chanannot defines an Analyzer that checks the ownership
// annotations of channels.
//
// # Analyzer chanannot
//
// chanannot: check that every channel says who owns and who closes it
//
// The checklist: every chan declaration is annotated
//
//	// [buffered: N] [owned by: X] [closed by: Y]
//
// on its line or the line above, because "send on closed channel" is a
// question of who closes, and the code does not say. The analyzer checks
// more than the presence of the comment:
//   - a struct field of channel type, a package-level channel variable, and
//     a make(chan ...) assigned to a variable carry an
//     annotation with [owned by: X] and [closed by: Y] (Y may be "never");
//   - [buffered: N] matches the capacity given to make, and a buffered make
//     says [buffered: N];
//   - close(ch) happens in the function, method or type that [closed by: Y]
//     names (when Y names one of the package's functions, methods or types,
//     or is "never"); Y may list several, separated by commas or "or";
//   - no send on ch follows, in the same function and block, a close(ch)
//     that function made: it would panic;
//   - a function that started goroutines sending on ch does not close(ch)
//     before it waits for them (a Wait call, a range over ch, or, for a
//     single sender, a receive from ch): their sends would panic. A close
//     under an if whose condition counts with sync/atomic (the last one
//     out closes) is not checked.
//
// The last two checks cover every channel, annotated or not. Test files are
// not checked: tests close and send on purpose to see what happens.
//
// A receive-only field or variable (<-chan T, a view of a channel declared
// elsewhere, such as ctx.Done()) needs no annotation: its holder cannot
// close it. A custody chanown.Chan needs none either: it records its owner
// and its closer as it runs.
//
// Fix: write the annotation; close the channel only where it says.
//
// Silence one report with a reason on the line or the line above:
//
//	//custody:ignore chanannot REASON
package chanannot
