package output

import (
	"sort"
	"time"
)

// tickClock times the output's own flush ticks against their schedule: a k6 short of CPU (its own
// load, the machine's, or a process stopped outright) runs every timer late, its arrival-rate
// schedule included, and this timer shows by how much.
//
// k6's PeriodicFlusher reads a time.Ticker (go.k6.io/k6/v2 output/helpers.go, lines 64–69), whose
// schedule is anchored: tick k is due at start + k·period. A receiver that falls behind gets one
// buffered tick and Go drops the rest, so a k6 frozen for 1 s sees one late tick where 20 were due.
// Counting received ticks would call that 1 late tick in 100; this counts every tick that was due.
// Each received tick serves the oldest tick not yet served; the time from when that one was due to
// now is time behind schedule. These spans never overlap, so their sum over the run's wall time is
// the share of time the generator was behind, whatever the ticker dropped. Time lost is the part of
// each beyond the late mark: a k6 sharing two cores with other busy processes ran every tick ~6 ms
// late (11.7 % of its run behind, 3 % of ticks late), which is jitter, not a schedule slipping.
//
// The schedule's anchor is learned, not assumed: the ticker is made in the flusher's own goroutine
// at a moment the output does not see (k6 was measured here starting it ~13 ms after Start). The
// first tick is taken as on time, and a tick that arrives before the learned schedule says it is
// due moves the anchor earlier: the anchor is the earliest phase ever seen, which on-time ticks meet.
type tickClock struct {
	// The schedule's anchor (tick k is due at start + k·period), once the first tick has been seen.
	anchored bool
	start    time.Time
	period   time.Duration
	// A tick served more than this after it was due counts as late.
	late time.Duration
	// served: the index of the last tick due at or before the last observation.
	served    int64
	ticks     int64
	lateTicks int64
	lagMax    time.Duration
	lagSum    time.Duration
	// Time lost: the part of each lag beyond the late mark (jitter under it is a busy machine's
	// scheduling, not a schedule slipping), in all and by the second it was caught up in.
	lostSum time.Duration
	behind  map[int64]time.Duration
}

func newTickClock(period, late time.Duration) tickClock {
	return tickClock{period: period, late: late, behind: map[int64]time.Duration{}}
}

// observe is called when a tick is received, at now.
func (c *tickClock) observe(now time.Time) {
	if !c.anchored {
		c.anchored, c.start, c.served, c.ticks = true, now.Add(-c.period), 1, 1
		return
	}
	elapsed := now.Sub(c.start)
	due := int64(elapsed / c.period) // the last tick due at or before now
	if due <= c.served {
		// Earlier than the learned schedule: the anchor was late by the difference.
		c.start = now.Add(-time.Duration(c.served+1) * c.period)
		elapsed = now.Sub(c.start)
		due = c.served + 1
	}
	first := c.served + 1 // the oldest tick not yet served: this one serves it
	lag := elapsed - time.Duration(first)*c.period
	c.ticks += due - c.served
	// Every tick due after the first one in this span was dropped by Go's ticker: each ran late by
	// at least a period (more than the late mark).
	c.lateTicks += due - first
	if lag > c.late {
		c.lateTicks++
	}
	if lag > 0 {
		c.lagSum += lag
		if lag > c.lagMax {
			c.lagMax = lag
		}
	}
	if lag > c.late {
		c.lostSum += lag - c.late
		c.behind[int64(elapsed/time.Second)] += lag - c.late
	}
	c.served = due
}

// seconds lists the seconds with time behind schedule, in order.
func (c *tickClock) seconds() []int64 {
	out := make([]int64, 0, len(c.behind))
	for s := range c.behind {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
