package flows

import (
	"encoding/csv"
	"fmt"
	"maps"
	"os"
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
// or a YAML file (a list of mappings), relative to the spec's folder.
func (d *decoder) rowsFile(n *yaml.Node, what string) []Row {
	name := d.str(n, what+": rows_file")
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(d.file), name)
	}
	d.deps = append(d.deps, path)
	data, err := os.ReadFile(path)
	if err != nil {
		d.errorf(n, "%s: rows_file: cannot read %s: %v", what, path, err)
		return nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return d.csvRows(n, path, data, what)
	case ".yaml", ".yml":
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
			d.errorf(n, "%s: rows_file: %s is not a YAML list of mappings: %v", what, path, err)
			return nil
		}
		if err := checkAliases(path, &doc); err != nil {
			d.errs = append(d.errs, err)
			return nil
		}
		sub := &decoder{file: path, getenv: d.getenv, g: d.g}
		rows := sub.rows(doc.Content[0], what)
		d.errs = append(d.errs, sub.errs...)
		return rows
	}
	d.errorf(n, "%s: rows_file: %s: want a .csv, .yaml or .yml file", what, path)
	return nil
}

func (d *decoder) csvRows(n *yaml.Node, path string, data []byte, what string) []Row {
	recs, err := csv.NewReader(strings.NewReader(string(data))).ReadAll()
	if err != nil {
		d.errorf(n, "%s: rows_file: %s: %v", what, path, err)
		return nil
	}
	if len(recs) < 2 {
		d.errorf(n, "%s: rows_file: %s: want a header line and at least one row", what, path)
		return nil
	}
	var out []Row
	for i, rec := range recs[1:] {
		vars := map[string]any{}
		for j, h := range recs[0] {
			vars[strings.TrimSpace(h)] = rec[j]
		}
		out = append(out, Row{Pos: Pos{File: path, Line: i + 2, Col: 1}, Vars: vars})
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
