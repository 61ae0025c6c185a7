package stack

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// A LabelSource says where a goroutine's [Goroutine.Labels] come from.
type LabelSource uint8

const (
	// LabelsUnknown: the dump did not print labels and no record of the
	// profile had the goroutine's stack (it moved, started or ended
	// between the dump and the profile). Labels is nil.
	LabelsUnknown LabelSource = iota
	// LabelsDump: the dump printed the labels (GODEBUG=tracebacklabels=1),
	// or printed none while it printed some for other goroutines.
	LabelsDump
	// LabelsProfile: every goroutine of the profile with this stack had
	// these labels (or none).
	LabelsProfile
	// LabelsGuessed: goroutines of the profile with this stack had
	// different labels. How many goroutines had each label set is exact;
	// which of them has which is a guess: a goroutine that carries its
	// creator's labels (when the creator is in the dump and they are among
	// the candidates) gets them, the others the remaining sets in dump
	// order. Also: no record had the goroutine's stack, but the records
	// that share its outer frames (a goroutine running a loop moves
	// between the two snapshots; see looseKeys) all had these labels.
	LabelsGuessed
)

// String returns the constant's name without "Labels", in lower case.
func (s LabelSource) String() string {
	switch s {
	case LabelsUnknown:
		return "unknown"
	case LabelsDump:
		return "dump"
	case LabelsProfile:
		return "profile"
	case LabelsGuessed:
		return "guessed"
	}
	return "LabelSource(" + strconv.Itoa(int(s)) + ")"
}

// Labelled returns every user goroutine of the process, the calling one
// first, as [All] does, with Labels filled whatever GODEBUG's
// tracebacklabels says: from the dump when it printed labels, else from a
// goroutine profile taken right after it ([Profile], joined by
// [SetLabels]); each goroutine's LabelsFrom says which, and how sure it is.
// It costs a dump and, unless the dump printed labels, a profile. It
// panics like [All] and [Profile].
func Labelled() []Goroutine {
	gs := parseOwn(dump(true))
	if printedLabels(gs) {
		for i := range gs {
			gs[i].LabelsFrom = LabelsDump
		}
		return gs
	}
	recs, me := readProfile("goroutine")
	if me >= 0 {
		gs[0].Labels = maps.Clone(recs[me].Labels)
		gs[0].LabelsFrom = LabelsProfile
		recs = dropSelf(recs, me)
	}
	SetLabels(gs, recs)
	return gs
}

// printedLabels reports whether the dump printed labels: it did if any
// goroutine has some (a dump without tracebacklabels prints none).
func printedLabels(gs []Goroutine) bool {
	for _, g := range gs {
		if g.Labels != nil {
			return true
		}
	}
	return false
}

// SetLabels fills Labels and LabelsFrom of the goroutines of gs whose
// LabelsFrom is LabelsUnknown, from recs, the records of a goroutine
// profile taken just before or after the dump gs was parsed from. A
// goroutine and a record match when their Go frames outside the runtime
// (at most the innermost 32) are the same functions at the same lines; see
// [LabelSource] for what each outcome means. Only the goroutines of gs take
// part in the guesses: a goroutine of the dump that is not in gs may leave
// a label set unused. The labels of a goroutine that ran between the two
// snapshots and changed its own labels, but not its stack, are those of
// the profile's instant.
func SetLabels(gs []Goroutine, recs []Record) {
	// The label sets of each stack, in the profile's order, and how many
	// goroutines of each are left to give out.
	type set struct {
		labels map[string]string
		left   int
	}
	type group struct {
		sets     []*set
		byLabels map[string]*set
		next     int // sets before it are used up
	}
	groups := make(map[string]*group)
	type keyPair struct {
		exact string
		loose []string
	}
	keys := make(map[*Frame]keyPair) // records of one stack share its frames
	// By loose key (see looseKeys): the label set its records share, or nil
	// when they have several.
	loose := make(map[string]*map[string]string)
	for _, r := range recs {
		var k string
		if len(r.Frames) > 0 {
			kp, ok := keys[&r.Frames[0]]
			if !ok {
				kp = keyPair{joinKey(r.Frames), looseKeys(r.Frames, 4)}
				keys[&r.Frames[0]] = kp
			}
			k = kp.exact
			for _, lk := range kp.loose {
				if l, seen := loose[lk]; !seen {
					loose[lk] = &r.Labels
				} else if l != nil && labelsKey(*l) != labelsKey(r.Labels) {
					loose[lk] = nil
				}
			}
		}
		grp := groups[k]
		if grp == nil {
			grp = &group{byLabels: make(map[string]*set)}
			groups[k] = grp
		}
		lk := labelsKey(r.Labels)
		if s := grp.byLabels[lk]; s != nil {
			s.left += r.Count
			continue
		}
		s := &set{labels: r.Labels, left: r.Count}
		grp.sets = append(grp.sets, s)
		grp.byLabels[lk] = s
	}

	// Goroutines whose stack had one label set take it; those whose stack
	// had several wait for the second pass.
	grps := make([]*group, len(gs))
	byID := make(map[uint64]int, len(gs))
	var guess []int
	for i := range gs {
		g := &gs[i]
		byID[g.ID] = i
		if g.LabelsFrom != LabelsUnknown {
			continue
		}
		grp := groups[joinKey(g.Frames)]
		switch {
		case grp == nil:
			for _, lk := range looseKeys(g.Frames, 4) {
				if l, seen := loose[lk]; seen {
					if l != nil {
						g.Labels, g.LabelsFrom = maps.Clone(*l), LabelsGuessed
					}
					break
				}
			}
		case len(grp.sets) == 1:
			g.Labels, g.LabelsFrom = maps.Clone(grp.sets[0].labels), LabelsProfile
		default:
			grps[i] = grp
			guess = append(guess, i)
		}
	}

	// Each guessed goroutine takes its creator's labels if they are among
	// its stack's sets and the creator's are not a guess, else the first
	// set left, in dump order.
	take := func(i int, s *set) {
		gs[i].Labels, gs[i].LabelsFrom = maps.Clone(s.labels), LabelsGuessed
		s.left--
	}
	var rest []int
	for _, i := range guess {
		p, ok := byID[gs[i].ParentID]
		if ok && (gs[p].LabelsFrom == LabelsProfile || gs[p].LabelsFrom == LabelsDump) {
			if s := grps[i].byLabels[labelsKey(gs[p].Labels)]; s != nil && s.left > 0 {
				take(i, s)
				continue
			}
		}
		rest = append(rest, i)
	}
	for _, i := range rest {
		grp := grps[i]
		for grp.next < len(grp.sets) && grp.sets[grp.next].left <= 0 {
			grp.next++
		}
		if grp.next < len(grp.sets) {
			take(i, grp.sets[grp.next])
		} else {
			take(i, grp.sets[0]) // more such goroutines than the profile had
		}
	}
}

// looseKeys returns joinKey's key without the line of the innermost frame
// it keeps, for the stack and for the stacks left when up to n-1 of its
// innermost such frames are dropped: a goroutine running a loop, caught by
// a dump and a profile at two instants, may be at another line of its
// function, or in a function it calls (sync/atomic's, under -race), in one
// of them. A goroutine no record matches exactly takes the labels of the
// first of its loose keys that records have, if they all had one set.
func looseKeys(frames []Frame, n int) []string {
	var kept []Frame
	for _, f := range frames {
		if joins(f) {
			kept = append(kept, f)
		}
	}
	var keys []string
	for i := 0; i < n && i < len(kept); i++ {
		keys = append(keys, frameKey(kept[i:], true))
	}
	return keys
}

// joins reports whether a frame counts in a join key: a Go frame outside
// the runtime, which a dump and a profile both show.
func joins(f Frame) bool {
	return strings.HasSuffix(f.File, ".go") && f.Func != "panic" &&
		!strings.HasPrefix(f.Func, "runtime.") && !strings.HasPrefix(f.Func, "internal/runtime/")
}

// labelsKey returns a string that two label sets share only if they are
// equal: nil and empty sets differ.
func labelsKey(labels map[string]string) string {
	if labels == nil {
		return ""
	}
	keys := slices.Sorted(maps.Keys(labels))
	var b strings.Builder
	b.WriteByte('{')
	for _, k := range keys {
		b.WriteString(strconv.Quote(k))
		b.WriteByte(':')
		b.WriteString(strconv.Quote(labels[k]))
		b.WriteByte(',')
	}
	return b.String()
}

// maxKey is how many frames a join key holds: fewer than the 50 innermost
// frames a dump prints before it elides, and than the 128 (runtime ones
// included) a profile records.
const maxKey = 32

// joinKey returns what a dump's goroutine and a profile's record of the
// same stack have in common: their Go frames outside the runtime (the dump
// shows exported runtime functions and calls runtime.gopanic "panic", the
// profile hides only the runtime's frames at the top; C frames are
// described by a symbolizer in the dump only), with type arguments written
// "[...]", at most maxKey of them.
func joinKey(frames []Frame) string { return frameKey(frames, false) }

// frameKey is joinKey, without the innermost kept frame's line if loose.
func frameKey(frames []Frame, loose bool) string {
	var b strings.Builder
	n := 0
	for _, f := range frames {
		if !joins(f) {
			continue
		}
		b.WriteString(printedName(f.Func))
		b.WriteByte(0)
		b.WriteString(f.File)
		b.WriteByte(0)
		if !loose || n > 0 {
			b.WriteString(strconv.Itoa(f.Line))
		}
		b.WriteByte(0)
		if n++; n == maxKey {
			break
		}
	}
	return b.String()
}
