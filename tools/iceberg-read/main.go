// iceberg-read reads an Iceberg table the reference Worker wrote, with Apache's own Go
// implementation (github.com/apache/iceberg-go, pinned in go.mod), and prints every row as one JSON
// object per line: the test that the Worker's tables are Iceberg for a reader of another family
// than the one that wrote them (test/unit/worker-iceberg.test.ts).
//
//	iceberg-read <bucket dir> <table>
//
// <bucket dir> holds the bucket's objects as files, one per key. The table's paths are absolute
// (r2://perfdo-iceberg/<key>); an IO registered for the r2 scheme maps them to <bucket dir>/<key>
// (iceberg-go io/registry.go: Register adds a scheme factory), so iceberg-go reads metadata,
// manifest list, manifests and Parquet files through its own code.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	icebergio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"
)

const location = "r2://perfdo-iceberg/"

// bucketDir serves r2://perfdo-iceberg/<key> from <root>/<key>.
type bucketDir struct{ root string }

func (d bucketDir) path(name string) (string, error) {
	key, ok := strings.CutPrefix(name, location)
	if !ok || key == "" || strings.Contains(key, "..") {
		return "", &os.PathError{Op: "open", Path: name, Err: os.ErrNotExist}
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

func (d bucketDir) Open(name string) (icebergio.File, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	return os.Open(p)
}

func (d bucketDir) Remove(name string) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	return os.Remove(p)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: iceberg-read <bucket dir> <table>")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "iceberg-read:", err)
		os.Exit(1)
	}
}

func run(root, name string) error {
	dir := bucketDir{root: root}
	icebergio.Register("r2", func(context.Context, *url.URL, map[string]string) (icebergio.IO, error) { return dir, nil })
	hint, err := os.ReadFile(filepath.Join(root, "warehouse", name, "metadata", "version-hint.text"))
	if err != nil {
		return err
	}
	meta := fmt.Sprintf("%swarehouse/%s/metadata/v%s.metadata.json", location, name, strings.TrimSpace(string(hint)))
	ctx := context.Background()
	tbl, err := table.NewFromLocation(ctx, table.Identifier{"warehouse", name}, meta, func(context.Context) (icebergio.IO, error) { return dir, nil }, nil)
	if err != nil {
		return fmt.Errorf("table %s: %w", name, err)
	}
	schema, records, err := tbl.Scan().ToArrowRecords(ctx)
	if err != nil {
		return fmt.Errorf("scan %s: %w", name, err)
	}
	out := json.NewEncoder(os.Stdout)
	for rec, err := range records {
		if err != nil {
			return fmt.Errorf("scan %s: %w", name, err)
		}
		if err := writeRows(out, schema, rec); err != nil {
			return err
		}
		rec.Release()
	}
	return nil
}

func writeRows(out *json.Encoder, schema *arrow.Schema, rec arrow.RecordBatch) error {
	for r := 0; r < int(rec.NumRows()); r++ {
		row := make(map[string]any, rec.NumCols())
		for c, field := range schema.Fields() {
			col := rec.Column(c)
			if col.IsNull(r) {
				row[field.Name] = nil
				continue
			}
			switch a := col.(type) {
			case *array.String:
				row[field.Name] = a.Value(r)
			case *array.LargeString:
				row[field.Name] = a.Value(r)
			default:
				row[field.Name] = a.ValueStr(r)
			}
		}
		if err := out.Encode(row); err != nil {
			return err
		}
	}
	return nil
}
