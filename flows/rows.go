package flows

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Row is one set of values a data-driven flow runs with. The flow runs
// once per row, reported under its own name.
type Row struct {
	Pos  Pos
	Name string
	Vars map[string]any
}

// rows decodes `rows:` (inline list of mappings).
func (d *decoder) rows(n *yaml.Node, what string) []Row {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		d.errorf(n, "%s: rows: want a list of mappings, one per run of the flow, got %s", what, kindName(n))
		return nil
	}
	if int64(len(n.Content)) > d.lim.Rows {
		d.errorf(n, "%s: rows: %d rows; a flow may have at most %d (--limit rows=N raises it)", what, len(n.Content), d.lim.Rows)
		return nil
	}
	var out []Row
	for i, c := range n.Content {
		c = resolve(c)
		if c.Kind != yaml.MappingNode {
			d.errorf(c, "%s: row %d: want a mapping of variable names to values, got %s", what, i+1, kindName(c))
			continue
		}
		vars, _ := d.value(c, what+": rows").(map[string]any)
		out = append(out, Row{Pos: d.pos(c), Vars: vars})
	}
	return out
}

// rowsFile reads rows from a CSV file (a header line names the variables)
// or a YAML file (a list of mappings), relative to the spec's folder. The
// file must be a regular file within the rows-file limit; until it is
// known to be a rows file, nothing of its content is shown in an error.
func (d *decoder) rowsFile(n *yaml.Node, what string) []Row {
	name := d.str(n, what+": rows_file")
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(d.file), name)
	}
	d.deps = append(d.deps, path)
	ext := strings.ToLower(filepath.Ext(path))
	if ext != ".csv" && ext != ".yaml" && ext != ".yml" {
		d.errorf(n, "%s: rows_file: %s: want a .csv, .yaml or .yml file", what, path)
		return nil
	}
	data, err := readRegular(path, "a rows file", "rows-file", d.lim.RowsFile)
	if err != nil {
		d.errorf(n, "%s: rows_file: %v", what, err)
		return nil
	}
	if ext == ".csv" {
		return d.csvRows(n, path, data, what)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.SequenceNode {
		d.errorf(n, "%s: rows_file: %s is not a YAML list of mappings", what, path)
		return nil
	}
	if err := checkAliases(path, &doc, d.lim); err != nil {
		d.errs = append(d.errs, err)
		return nil
	}
	sub := &decoder{file: path, getenv: d.getenv, g: d.g, lim: d.lim}
	rows := sub.rows(doc.Content[0], what)
	d.errs = append(d.errs, sub.errs...)
	return rows
}

// csvRows reads the rows of a CSV file: a header line of variable names,
// then a line per row. The header is checked before any value is kept,
// and a header that is not one is reported by column, not echoed.
func (d *decoder) csvRows(n *yaml.Node, path string, data []byte, what string) []Row {
	r := csv.NewReader(bytes.NewReader(data))
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		d.errorf(n, "%s: rows_file: %s: want a CSV file with a header line of variable names", what, path)
		return nil
	}
	for i, h := range header {
		if h = strings.TrimSpace(h); !validIdent(h) {
			d.errorf(n, "%s: rows_file: %s:1: column %d of the header line is not a variable name; the first line names the variables (letters, digits and _), such as `username,password`", what, path, i+1)
			return nil
		}
		header[i] = h
	}
	var out []Row
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			d.errorf(n, "%s: rows_file: %s: %v", what, path, err)
			return nil
		}
		if int64(len(out)) == d.lim.Rows {
			d.errorf(n, "%s: rows_file: %s: more than %d rows; a flow may have at most %d (--limit rows=N raises it)", what, path, d.lim.Rows, d.lim.Rows)
			return nil
		}
		vars := make(map[string]any, len(header))
		for j, h := range header {
			if int64(len(rec[j])) > d.lim.String {
				d.errorf(n, "%s: rows_file: %s:%d: %s is %s; a value may be at most %s (--limit string=SIZE raises it)", what, path, line, h, FormatSize(int64(len(rec[j]))), FormatSize(d.lim.String))
				return nil
			}
			vars[h] = rec[j]
		}
		out = append(out, Row{Pos: Pos{File: path, Line: line, Col: 1}, Vars: vars})
	}
	if len(out) == 0 {
		d.errorf(n, "%s: rows_file: %s: want a header line and at least one row", what, path)
		return nil
	}
	return out
}

// checkRows checks that every row sets the same valid variables and names
// each row: by its `name` value, or by its number.
func (d *decoder) checkRows(f *Flow, what string) {
	if len(f.Rows) == 0 {
		return
	}
	first := slices.Sorted(maps.Keys(f.Rows[0].Vars))
	for _, k := range first {
		if !validIdent(k) || reserved(k) {
			d.errs = append(d.errs, Errorf(f.Rows[0].Pos, "%s: row variable %q cannot be a variable name; use letters, digits and _, and none of %v", what, k, reservedNames))
		}
	}
	seen := map[string]bool{}
	for i := range f.Rows {
		r := &f.Rows[i]
		if got := slices.Sorted(maps.Keys(r.Vars)); !slices.Equal(got, first) {
			d.errs = append(d.errs, Errorf(r.Pos, "%s: row %d sets %v, but the first row sets %v; every row must set the same variables", what, i+1, got, first))
		}
		r.Name = fmt.Sprintf("row %d", i+1)
		if v, ok := r.Vars["name"]; ok {
			r.Name = fmt.Sprint(v)
		}
		if seen[r.Name] {
			d.errs = append(d.errs, Errorf(r.Pos, "%s: two rows are named %q; give each row its own name", what, r.Name))
		}
		seen[r.Name] = true
	}
}
