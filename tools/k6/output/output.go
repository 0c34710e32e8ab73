// Package output is the perfdo output extension (`k6 run --out perfdo=<file>`): the raw capture
// `perfdo run` needs, at a fraction of the JSON output's cost. k6's JSON output writes every sample
// of every metric (about twelve per request) as a JSON object; this writes only what results are
// made of, as short text lines:
//
//	#perfdo-raw 1 <start unix ms>
//	P <JSON>                             where the numbers came from (provenance.go): k6's version and
//	                                     build, the machine the load came from, and what the harness
//	                                     said of the run (PERFDO_PROVENANCE: commit, target, rehearsal)
//	S <id> <metric> <tags as JSON>       a time series (metric + tag set), declared once
//	<id> <µs since start> <value>        one sample of http_req_duration or perfdo_latency, or one
//	                                     event: a dropped iteration, the VU count (k6 reports it
//	                                     every second), a failed request, a failed check
//	A <id> <count> <sum>                 at the end: the total of a counter or rate series (checks,
//	                                     iterations, dropped_iterations, perfdo_colo_served, perfdo_host,
//	                                     perfdo_connection, http_req_failed, perfdo_failure,
//	                                     perfdo_overload)
//	B <id> <second> <count> <sum>        at the end: one metric's count and sum in one second of the
//	                                     run, over all its series (declared with no tags): bytes sent
//	                                     and received, iteration duration, each request phase (the
//	                                     run report's transfer, iteration and phase charts)
//	T <ticks> <late> <max µs> <sum µs> <lost µs>  at the end: how far behind schedule the output's 50 ms
//	                                     flush ticks ran (late: more than lateTick behind; ticks Go's
//	                                     ticker dropped count as due and late), and the total time
//	                                     behind, and the time lost (the lag beyond lateTick): a k6 short
//	                                     of CPU, or stopped, runs its timers late
//	W <second> <lost µs>                 at the end: the time lost in one second of the run
//	                                     (seconds with none are not written), to judge it by windows
//	E <µs since start>                   the end of a complete file
//
// Durations stay exact (every value is written), so percentiles and the merge of execution
// segments are the same as from the JSON output. lib/node/results/perfdo-output.ts reads it.
//
// `--out perfdo=-` is the form for a pod without a shared disk (perfdo k8s): nothing is written
// during the run; at the end, the whole file goes to stdout, where `kubectl logs` collects it, with
// each sampled series as one histogram line instead of its samples:
//
//	H <id> <count> <first µs> <last µs> <min> <max> <mean> <m2> <histogram>
//
// count, min, max, mean and m2 (Welford's sum of squared deviations) are exact; <histogram> is an
// HdrHistogram of the values in nanoseconds, 3 significant digits (every percentile within 0.1 %),
// in HdrHistogram's standard compressed base64 encoding (V2), which HdrHistogram's Java, Go and
// JavaScript libraries all read. The size no longer grows with the run: a few KB per operation.
package output

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/klauspost/compress/gzip"

	"go.k6.io/k6/v2/metrics"
	"go.k6.io/k6/v2/output"
)

const flushPeriod = 50 * time.Millisecond

// How often what is buffered reaches the file (checkpoint).
const checkpointPeriod = time.Second

// A flush tick this far behind its schedule counts as late.
const lateTick = 25 * time.Millisecond

func init() {
	output.RegisterExtension("perfdo", New)
}

// Metrics whose every sample is written.
var sampled = map[string]bool{"http_req_duration": true, "perfdo_latency": true}

// Events also written as samples, with their time, as well as summed (file form only): a dropped
// iteration's time is when the arrival rate wanted it started, which the latency corrected for
// coordinated omission is measured from (lib/node/results/omission.ts); the VU count, failed requests
// (busy, and the pool: vus_max) and failed checks make the run report's time axis (lib/node/report/run-report.ts). Only the
// values that matter are written (a failure, not every success), so a healthy run adds one line a second.
var events = map[string]func(v float64) bool{
	"dropped_iterations": func(float64) bool { return true },
	"vus":                func(float64) bool { return true },
	"vus_max":            func(float64) bool { return true },
	"http_req_failed":    func(v float64) bool { return v != 0 },
	"checks":             func(v float64) bool { return v == 0 },
}

// Metrics summed per second over all their series, written at the end (file form only): about nine
// samples per request (bytes each way, the iteration's duration, six request phases) cost a map
// update each instead of a line each, and the lines at the end grow with the run's seconds only.
var bucketed = map[string]bool{
	"data_sent": true, "data_received": true, "iteration_duration": true,
	"http_req_blocked": true, "http_req_connecting": true, "http_req_tls_handshaking": true,
	"http_req_sending": true, "http_req_waiting": true, "http_req_receiving": true,
}

// A metric is one pointer for the whole run: a cheaper map key than its name.
type bucketKey struct {
	metric *metrics.Metric
	second int64
}

// Metrics summed per series and written once at the end.
var summed = map[string]bool{
	"checks": true, "iterations": true, "dropped_iterations": true, "perfdo_colo_served": true, "perfdo_host": true,
	"http_req_failed": true, "perfdo_failure": true, "perfdo_overload": true, "perfdo_connection": true,
}

// One sampled series in the stdout form: exact moments and a histogram.
type histogram struct {
	id          int
	count       int64
	first, last int64
	min, max    float64
	mean, m2    float64
	hist        *hdrhistogram.Histogram
}

const (
	nsPerMs       = 1e6
	highestNs     = 3_600 * 1e9 // one hour; longer values are clamped to it (and max stays exact)
	significantHD = 3
)

func (h *histogram) record(micros int64, ms float64) {
	if h.count == 0 || micros < h.first {
		h.first = micros
	}
	if h.count == 0 || micros > h.last {
		h.last = micros
	}
	if h.count == 0 || ms < h.min {
		h.min = ms
	}
	if h.count == 0 || ms > h.max {
		h.max = ms
	}
	h.count++
	delta := ms - h.mean
	h.mean += delta / float64(h.count)
	h.m2 += delta * (ms - h.mean)
	ns := int64(ms * nsPerMs)
	if ns < 1 {
		ns = 1
	}
	if ns > int64(highestNs) {
		ns = int64(highestNs)
	}
	_ = h.hist.RecordValue(ns)
}

type total struct {
	id    int
	count int64
	sum   float64
}

// Output writes the perfdo raw format.
type Output struct {
	output.SampleBuffer

	filename string
	flusher  *output.PeriodicFlusher
	file     io.WriteCloser
	buffered *bufio.Writer
	// When checkpoint last handed the buffer to the file.
	flushedAt time.Time
	gz        *gzip.Writer
	w         io.Writer
	start     time.Time
	ids       map[metrics.TimeSeries]int
	nextID    int
	// The series of a metric summed per second: declared once, with no tags.
	metricIDs map[string]int
	totals    map[metrics.TimeSeries]*total
	buckets   map[bucketKey]*total
	line      []byte
	// The stdout form (`perfdo=-`): histograms kept per series, everything written at Stop.
	toStdout   bool
	histograms map[metrics.TimeSeries]*histogram
	// Flush ticks: how far behind schedule the output's own timer ran (ticks.go).
	clock tickClock
	// What the harness and the environment say of the run, written as the P line.
	env map[string]string
}

// New is the extension's constructor: `--out perfdo=<file>` (a `.gz` name is gzip-compressed).
func New(params output.Params) (output.Output, error) {
	if params.ConfigArgument == "" {
		return nil, fmt.Errorf("perfdo output needs a file: --out perfdo=<file>")
	}
	return &Output{
		filename: params.ConfigArgument, ids: map[metrics.TimeSeries]int{}, totals: map[metrics.TimeSeries]*total{}, buckets: map[bucketKey]*total{}, metricIDs: map[string]int{},
		toStdout: params.ConfigArgument == "-", histograms: map[metrics.TimeSeries]*histogram{},
		env: mergedEnv(params),
	}, nil
}

// Description is shown by `k6 run`.
func (o *Output) Description() string { return fmt.Sprintf("perfdo (%s)", o.filename) }

// Start opens the file and starts the periodic flush.
func (o *Output) Start() error {
	var f io.WriteCloser = nopCloser{os.Stdout}
	if !o.toStdout {
		created, err := os.Create(o.filename)
		if err != nil {
			return err
		}
		f = created
	}
	o.file = f
	// The stdout form is written in one piece at Stop: a buffer that never fills before then.
	size := 1 << 16
	if o.toStdout {
		size = 1 << 24
	}
	o.buffered = bufio.NewWriterSize(f, size)
	o.w = o.buffered
	if strings.HasSuffix(o.filename, ".gz") {
		o.gz = gzip.NewWriter(o.buffered)
		o.w = o.gz
	}
	o.start = time.Now()
	if _, err := fmt.Fprintf(o.w, "#perfdo-raw 1 %d\n", o.start.UnixMilli()); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(o.w, "P %s\n", provenanceJSON(o.env)); err != nil {
		return err
	}
	var err error
	o.clock = newTickClock(flushPeriod, lateTick)
	o.flusher, err = output.NewPeriodicFlusher(flushPeriod, o.flush)
	return err
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func (o *Output) series(ts metrics.TimeSeries) (int, error) {
	if id, ok := o.ids[ts]; ok {
		return id, nil
	}
	id := o.nextID
	o.nextID++
	o.ids[ts] = id
	tags, err := json.Marshal(ts.Tags.Map())
	if err != nil {
		return 0, err
	}
	_, err = fmt.Fprintf(o.w, "S %d %s %s\n", id, ts.Metric.Name, tags)
	return id, err
}

// metricSeries is the id of a metric's all-series series (bucketed metrics), declared with no tags.
func (o *Output) metricSeries(name string) (int, error) {
	if id, ok := o.metricIDs[name]; ok {
		return id, nil
	}
	id := o.nextID
	o.nextID++
	o.metricIDs[name] = id
	_, err := fmt.Fprintf(o.w, "S %d %s {}\n", id, name)
	return id, err
}

func (o *Output) flush() {
	now := time.Now()
	o.clock.observe(now)
	defer o.checkpoint(now)
	for _, container := range o.GetBufferedSamples() {
		for _, s := range container.GetSamples() {
			name := s.Metric.Name
			if keep, ok := events[name]; ok && !o.toStdout && keep(s.Value) {
				if id, err := o.series(s.TimeSeries); err == nil {
					o.writeSample(id, s)
				}
			}
			if bucketed[name] && !o.toStdout {
				key := bucketKey{s.Metric, int64(s.Time.Sub(o.start) / time.Second)}
				b := o.buckets[key]
				if b == nil {
					id, err := o.metricSeries(name)
					if err != nil {
						continue
					}
					b = &total{id: id}
					o.buckets[key] = b
				}
				b.count++
				b.sum += s.Value
				continue
			}
			if summed[name] {
				t := o.totals[s.TimeSeries]
				if t == nil {
					id, err := o.series(s.TimeSeries)
					if err != nil {
						continue
					}
					t = &total{id: id}
					o.totals[s.TimeSeries] = t
				}
				t.count++
				t.sum += s.Value
				continue
			}
			if !sampled[name] {
				continue
			}
			id, err := o.series(s.TimeSeries)
			if err != nil {
				continue
			}
			if o.toStdout {
				h := o.histograms[s.TimeSeries]
				if h == nil {
					h = &histogram{id: id, hist: hdrhistogram.New(1, int64(highestNs), significantHD)}
					o.histograms[s.TimeSeries] = h
				}
				h.record(s.Time.Sub(o.start).Microseconds(), s.Value)
				continue
			}
			o.writeSample(id, s)
		}
	}
}

// checkpoint hands what is buffered to the file once a second (the file form only), so a k6
// killed from outside (SIGKILL, the OOM killer) leaves every sample up to the last second readable;
// the harness reads such a file as cut short. A flush tick ends with whole lines, so the file does
// too unless the buffer filled mid-line just before the kill (the reader drops a torn last line).
func (o *Output) checkpoint(now time.Time) {
	if o.toStdout || now.Sub(o.flushedAt) < checkpointPeriod {
		return
	}
	o.flushedAt = now
	if o.gz != nil {
		_ = o.gz.Flush()
	}
	_ = o.buffered.Flush()
}

func (o *Output) writeSample(id int, s metrics.Sample) {
	b := o.line[:0]
	b = strconv.AppendInt(b, int64(id), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, s.Time.Sub(o.start).Microseconds(), 10)
	b = append(b, ' ')
	b = strconv.AppendFloat(b, s.Value, 'g', -1, 64)
	b = append(b, '\n')
	o.line = b
	_, _ = o.w.Write(b)
}

// Stop flushes what is left, writes the totals and the end marker, and closes the file.
func (o *Output) Stop() error {
	o.flusher.Stop()
	c := &o.clock
	if _, err := fmt.Fprintf(o.w, "T %d %d %d %d %d\n", c.ticks, c.lateTicks, c.lagMax.Microseconds(), c.lagSum.Microseconds(), c.lostSum.Microseconds()); err != nil {
		return err
	}
	for _, second := range c.seconds() {
		if _, err := fmt.Fprintf(o.w, "W %d %d\n", second, c.behind[second].Microseconds()); err != nil {
			return err
		}
	}
	for _, h := range o.histograms {
		encoded, err := h.hist.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			return err
		}
		f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
		if _, err := fmt.Fprintf(o.w, "H %d %d %d %d %s %s %s %s %s\n", h.id, h.count, h.first, h.last, f(h.min), f(h.max), f(h.mean), f(h.m2), encoded); err != nil {
			return err
		}
	}
	for _, t := range o.totals {
		if _, err := fmt.Fprintf(o.w, "A %d %d %s\n", t.id, t.count, strconv.FormatFloat(t.sum, 'g', -1, 64)); err != nil {
			return err
		}
	}
	for key, b := range o.buckets {
		if _, err := fmt.Fprintf(o.w, "B %d %d %d %s\n", b.id, key.second, b.count, strconv.FormatFloat(b.sum, 'g', -1, 64)); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintf(o.w, "E %d\n", time.Since(o.start).Microseconds()); err != nil {
		return err
	}
	if o.gz != nil {
		if err := o.gz.Close(); err != nil {
			return err
		}
	}
	if err := o.buffered.Flush(); err != nil {
		return err
	}
	return o.file.Close()
}
