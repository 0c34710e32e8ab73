package output

import (
	"testing"
	"time"
)

const ms = time.Millisecond

// A clock served on time, its ticker made 13 ms after the output started (as k6 was seen to): every
// tick on its schedule, none behind, whatever the offset.
func TestTickClockOnTime(t *testing.T) {
	start := time.Unix(0, 0).Add(13 * ms)
	c := newTickClock(50*ms, 25*ms)
	for k := 1; k <= 100; k++ {
		c.observe(start.Add(time.Duration(k) * 50 * ms))
	}
	if c.ticks != 100 || c.lateTicks != 0 || c.lagSum != 0 {
		t.Fatalf("ticks %d late %d behind %v, want 100, 0, 0", c.ticks, c.lateTicks, c.lagSum)
	}
}

// The first tick ran 10 ms late: the schedule learned from it is corrected by the next on-time one.
func TestTickClockLearnsTheAnchor(t *testing.T) {
	start := time.Unix(0, 0)
	c := newTickClock(50*ms, 25*ms)
	c.observe(start.Add(60 * ms))
	for k := 2; k <= 10; k++ {
		c.observe(start.Add(time.Duration(k) * 50 * ms))
	}
	if c.ticks != 10 || c.lagSum != 0 {
		t.Fatalf("ticks %d behind %v, want 10 and 0", c.ticks, c.lagSum)
	}
}

// A k6 frozen for 1 s in every 5 s (SIGSTOP/SIGCONT): Go's ticker hands over one tick after each
// freeze and drops the other 19 that were due. All 20 count, all late, and the time behind is the
// freeze: a fifth of the run.
func TestTickClockFrozen(t *testing.T) {
	start := time.Unix(0, 0)
	c := newTickClock(50*ms, 25*ms)
	now := start
	for cycle := 0; cycle < 4; cycle++ {
		for k := 0; k < 80; k++ { // 4 s on time
			now = now.Add(50 * ms)
			c.observe(now.Add(100 * time.Microsecond))
		}
		now = now.Add(time.Second) // frozen: 20 ticks due, one received when it resumes
		c.observe(now.Add(100 * time.Microsecond))
	}
	if c.ticks != 400 {
		t.Fatalf("ticks %d, want 400 (every tick that was due)", c.ticks)
	}
	if c.lateTicks != 4*20 {
		t.Fatalf("late %d, want 80 (the 20 due in each freeze)", c.lateTicks)
	}
	share := float64(c.lagSum) / float64(now.Sub(start))
	if share < 0.18 || share > 0.21 {
		t.Fatalf("time behind %.3f of the run, want about 0.19 (950 ms of each 5 s)", share)
	}
	lost := float64(c.lostSum) / float64(now.Sub(start))
	if lost < 0.17 || lost > 0.2 {
		t.Fatalf("time lost %.3f of the run, want about 0.185 (925 ms of each 5 s)", lost)
	}
	if c.lagMax < 940*ms || c.lagMax > 960*ms {
		t.Fatalf("worst lag %v, want about 950 ms", c.lagMax)
	}
	// Each freeze's lag lands in the second it was caught up in.
	big := 0
	for _, s := range c.seconds() {
		if c.behind[s] > 900*ms {
			big++
		}
	}
	if big != 4 {
		t.Fatalf("%d seconds carry a freeze, want 4", big)
	}
}

// Jitter: a tick late by 20 ms is followed by one on schedule (Go's ticker keeps its anchor), so
// the schedule is not blamed twice.
func TestTickClockJitter(t *testing.T) {
	start := time.Unix(0, 0)
	c := newTickClock(50*ms, 25*ms)
	c.observe(start.Add(50 * ms))
	c.observe(start.Add(120 * ms))
	c.observe(start.Add(150 * ms))
	if c.ticks != 3 || c.lateTicks != 0 || c.lagSum != 20*ms || c.lostSum != 0 {
		t.Fatalf("ticks %d late %d lag %v lost %v, want 3, 0, 20ms, 0 (jitter under the late mark)", c.ticks, c.lateTicks, c.lagSum, c.lostSum)
	}
}
