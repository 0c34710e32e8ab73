// Package output is the perfdo output extension (`k6 run --out perfdo=<file>`): the raw capture
// `perfdo run` needs, at a fraction of the JSON output's cost. k6's JSON output writes every sample
// of every metric (about twelve per request) as a JSON object; this writes only what results are
// made of, as short text lines:
//
//	#perfdo-raw 1 <start unix ms>
//	S <id> <metric> <tags as JSON>       a time series (metric + tag set), declared once
//	<id> <µs since start> <value>        one sample of http_req_duration or perfdo_latency
//	A <id> <count> <sum>                 at the end: the total of a counter or rate series (checks,
//	                                     iterations, dropped_iterations, perfdo_colo_served, perfdo_host,
//	                                     http_req_failed)
//	E <µs since start>                   the end of a complete file
//
// Durations stay exact (every value is written), so percentiles and the merge of execution
// segments are the same as from the JSON output. lib/node/results/perfdo-output.ts reads it.
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

	"github.com/klauspost/compress/gzip"

	"go.k6.io/k6/v2/metrics"
	"go.k6.io/k6/v2/output"
)

const flushPeriod = 50 * time.Millisecond

func init() {
	output.RegisterExtension("perfdo", New)
}

// Metrics whose every sample is written.
var sampled = map[string]bool{"http_req_duration": true, "perfdo_latency": true}

// Metrics summed per series and written once at the end.
var summed = map[string]bool{
	"checks": true, "iterations": true, "dropped_iterations": true, "perfdo_colo_served": true, "perfdo_host": true,
	"http_req_failed": true, "perfdo_failure": true,
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
	file     io.Closer
	buffered *bufio.Writer
	gz       *gzip.Writer
	w        io.Writer
	start    time.Time
	ids      map[metrics.TimeSeries]int
	totals   map[metrics.TimeSeries]*total
	line     []byte
}

// New is the extension's constructor: `--out perfdo=<file>` (a `.gz` name is gzip-compressed).
func New(params output.Params) (output.Output, error) {
	if params.ConfigArgument == "" {
		return nil, fmt.Errorf("perfdo output needs a file: --out perfdo=<file>")
	}
	return &Output{filename: params.ConfigArgument, ids: map[metrics.TimeSeries]int{}, totals: map[metrics.TimeSeries]*total{}}, nil
}

// Description is shown by `k6 run`.
func (o *Output) Description() string { return fmt.Sprintf("perfdo (%s)", o.filename) }

// Start opens the file and starts the periodic flush.
func (o *Output) Start() error {
	f, err := os.Create(o.filename)
	if err != nil {
		return err
	}
	o.file = f
	o.buffered = bufio.NewWriterSize(f, 1<<16)
	o.w = o.buffered
	if strings.HasSuffix(o.filename, ".gz") {
		o.gz = gzip.NewWriter(o.buffered)
		o.w = o.gz
	}
	o.start = time.Now()
	if _, err := fmt.Fprintf(o.w, "#perfdo-raw 1 %d\n", o.start.UnixMilli()); err != nil {
		return err
	}
	o.flusher, err = output.NewPeriodicFlusher(flushPeriod, o.flush)
	return err
}

func (o *Output) series(ts metrics.TimeSeries) (int, error) {
	if id, ok := o.ids[ts]; ok {
		return id, nil
	}
	id := len(o.ids)
	o.ids[ts] = id
	tags, err := json.Marshal(ts.Tags.Map())
	if err != nil {
		return 0, err
	}
	_, err = fmt.Fprintf(o.w, "S %d %s %s\n", id, ts.Metric.Name, tags)
	return id, err
}

func (o *Output) flush() {
	for _, container := range o.GetBufferedSamples() {
		for _, s := range container.GetSamples() {
			name := s.Metric.Name
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
	}
}

// Stop flushes what is left, writes the totals and the end marker, and closes the file.
func (o *Output) Stop() error {
	o.flusher.Stop()
	for _, t := range o.totals {
		if _, err := fmt.Fprintf(o.w, "A %d %d %s\n", t.id, t.count, strconv.FormatFloat(t.sum, 'g', -1, 64)); err != nil {
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
