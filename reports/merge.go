package reports

import (
	"bytes"
	"cmp"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/flowrun/flowrun/runner"
)

// Report is a report file to merge: its name, which messages use, and its content.
type Report struct {
	Name string
	Data []byte
}

// Format is a report's format, as Merge finds it from the content.
type Format string

// The formats Merge reads and writes.
const (
	FormatJUnit Format = "JUnit XML"
	FormatCTRF  Format = "CTRF"
	FormatJSON  Format = "flowrun JSON"
)

// DetectFormat returns the format of a report's content: JUnit XML (a
// <testsuites> root), CTRF ("reportFormat": "CTRF") or flowrun's JSON
// result ("format": "flowrun-result").
func DetectFormat(data []byte) (Format, error) {
	data = bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\uFEFF")), " \t\r\n")
	switch {
	case bytes.HasPrefix(data, []byte("<")):
		d := xml.NewDecoder(bytes.NewReader(data))
		for {
			tok, err := d.Token()
			if err != nil {
				return "", fmt.Errorf("not a JUnit XML, CTRF or flowrun JSON report: XML without a root element: %w", err)
			}
			if el, ok := tok.(xml.StartElement); ok {
				if el.Name.Local != "testsuites" {
					return "", fmt.Errorf("not a JUnit XML report: its root is <%s>, not <testsuites>", el.Name.Local)
				}
				return FormatJUnit, nil
			}
		}
	case bytes.HasPrefix(data, []byte("{")):
		var head struct {
			Format       string `json:"format"`
			ReportFormat string `json:"reportFormat"`
		}
		if err := json.Unmarshal(data, &head); err != nil {
			return "", fmt.Errorf("not a JUnit XML, CTRF or flowrun JSON report: %w", err)
		}
		switch {
		case head.Format == "flowrun-result":
			return FormatJSON, nil
		case head.ReportFormat == "CTRF":
			return FormatCTRF, nil
		}
		return "", errors.New(`not a CTRF report ("reportFormat": "CTRF") nor flowrun's JSON result ("format": "flowrun-result")`)
	}
	return "", errors.New("not a JUnit XML, CTRF or flowrun JSON report")
}

// Merge writes reports that are parts of one run, split across machines
// (flowrun --shard), as the one report of their format the whole run
// would have written: specs in the order of their paths, flows in the
// order they are written, counts, outcome and times recomputed. Every
// report must be of one format, and no flow may be in two of them. On an
// error Merge writes nothing.
//
// Where a report says where a flow is written (the JSON's positions,
// CTRF's file and line, the flow lines of a JUnit suite's log), that
// place orders it; each part's own order is kept in every case, so what
// no place decides follows the parts.
func Merge(w io.Writer, rs []Report) error {
	if len(rs) == 0 {
		return errors.New("no report to merge")
	}
	var format Format
	for i, r := range rs {
		f, err := DetectFormat(r.Data)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		if i > 0 && f != format {
			return fmt.Errorf("%s: a %s report, but %s is a %s report; merge reports of one format", r.Name, f, rs[0].Name, format)
		}
		format = f
	}
	var b bytes.Buffer
	var err error
	switch format {
	case FormatJSON:
		err = mergeJSON(&b, rs)
	case FormatCTRF:
		err = mergeCTRF(&b, rs)
	default:
		err = mergeJUnit(&b, rs)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

// owners finds a flow that is in two reports: shards must not overlap.
type owners map[string]string

func (o owners) claim(spec, flow, report string) error {
	key := spec + "\x00" + flow
	if first, ok := o[key]; ok {
		return fmt.Errorf("flow %q of %s is in both %s and %s; the reports must come from disjoint shards", flow, spec, first, report)
	}
	o[key] = report
	return nil
}

// span widens [start, end] to take in a part that began at s and lasted d.
func span(start, end, s time.Time, d time.Duration) (time.Time, time.Time) {
	if s.IsZero() {
		return start, end
	}
	if start.IsZero() || s.Before(start) {
		start = s
	}
	if e := s.Add(d); e.After(end) {
		end = e
	}
	return start, end
}

// mergeJSON merges flowrun JSON results and writes them with JSON, so the
// file is the one a whole run writes.
func mergeJSON(w io.Writer, rs []Report) error {
	merged := &runner.Result{}
	var end time.Time
	var version string
	var lists [][]runner.SpecResult
	seen, split := owners{}, shares{}
	for i, r := range rs {
		doc := jsonReport{Result: &runner.Result{}}
		if err := json.Unmarshal(r.Data, &doc); err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		if doc.Version != JSONVersion {
			return fmt.Errorf("%s: version %d of flowrun's JSON result; this flowrun reads version %d", r.Name, doc.Version, JSONVersion)
		}
		if i == 0 {
			version = doc.Tool.Version
		}
		if err := split.claim(doc.Shard, r.Name); err != nil {
			return err
		}
		for _, s := range doc.Specs {
			for _, f := range s.Flows {
				if err := seen.claim(s.File, f.Name, r.Name); err != nil {
					return err
				}
			}
		}
		merged.Started, end = span(merged.Started, end, doc.Started, doc.Duration)
		merged.Interrupted = merged.Interrupted || doc.Interrupted
		lists = append(lists, doc.Specs)
	}
	merged.Duration = end.Sub(merged.Started)
	merged.Specs = mergeSpecs(lists)
	return JSON(w, merged, Options{Version: version})
}

// mergeSpecs joins the reports' specs: each spec once, in the order of
// their paths, with the flows of every report in the order they are
// written.
func mergeSpecs(lists [][]runner.SpecResult) []runner.SpecResult {
	specs := mergeOrder(lists, func(s runner.SpecResult) string { return s.File },
		func(a, b runner.SpecResult) int { return strings.Compare(a.File, b.File) })
	for i := range specs {
		s := &specs[i]
		var flows [][]placed[runner.FlowResult]
		for _, l := range lists {
			for _, part := range l {
				if part.File == s.File {
					flows = append(flows, placeAll(s.File, part.Flows, func(f runner.FlowResult) runner.Pos { return f.Pos }))
				}
			}
		}
		s.Flows = make([]runner.FlowResult, 0, len(s.Flows))
		for _, f := range mergeOrder(flows, func(p placed[runner.FlowResult]) string { return p.item.Name }, byPlace) {
			s.Flows = append(s.Flows, f.item)
		}
	}
	return specs
}

// shares checks that the reports that name their shard ("K/N") are
// shares of one split, each once.
type shares struct {
	n, first string
	by       map[string]string
}

func (s *shares) claim(shard, report string) error {
	if shard == "" {
		return nil
	}
	_, n, _ := strings.Cut(shard, "/")
	switch {
	case s.first == "":
		s.n, s.first, s.by = n, report, map[string]string{}
	case n != s.n:
		return fmt.Errorf("%s: shard %s of a run split in %s, but %s is of a run split in %s; merge the shards of one split", report, shard, n, s.first, s.n)
	}
	if other, ok := s.by[shard]; ok {
		return fmt.Errorf("%s: shard %s, as is %s; merge each shard once", report, shard, other)
	}
	s.by[shard] = report
	return nil
}

// place is where a flow stands among its spec's flows, as far as a
// report tells: where it is written in the spec or, for a row of a
// rows_file, whose place is in that file, next to the flow before it in
// its report (or, with none before, the flow after it).
type place struct {
	line, col int
	// side is 0 for the flow written at line:col, 1 for a row placed
	// after it, -1 before it.
	side int
	// pos is where the flow, or row, is written.
	pos   runner.Pos
	known bool
}

func (a place) compare(b place) int {
	return cmp.Or(cmp.Compare(b2i(!a.known), b2i(!b.known)), cmp.Compare(a.line, b.line), cmp.Compare(a.col, b.col),
		cmp.Compare(a.side, b.side), strings.Compare(a.pos.File, b.pos.File), cmp.Compare(a.pos.Line, b.pos.Line),
		cmp.Compare(a.pos.Col, b.pos.Col))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// places returns the places of a report's flows of one spec, written at
// ps, in the report's order.
func places(spec string, ps []runner.Pos) []place {
	out := make([]place, len(ps))
	last := -1
	for i, p := range ps {
		out[i].pos = p
		if p.File == spec {
			out[i].line, out[i].col, out[i].known = p.Line, p.Col, true
			for j := 0; last < 0 && j < i; j++ { // rows with no flow of the spec before them
				out[j].line, out[j].col, out[j].side, out[j].known = p.Line, p.Col, -1, true
			}
			last = i
		} else if last >= 0 {
			out[i].line, out[i].col, out[i].side, out[i].known = ps[last].Line, ps[last].Col, 1, true
		}
	}
	return out
}

// placed is an item of a report with the place of its flow.
type placed[T any] struct {
	item T
	at   place
}

// placeAll places a report's flows of one spec.
func placeAll[T any](spec string, items []T, pos func(T) runner.Pos) []placed[T] {
	ps := make([]runner.Pos, len(items))
	for i, it := range items {
		ps[i] = pos(it)
	}
	out := make([]placed[T], len(items))
	for i, at := range places(spec, ps) {
		out[i] = placed[T]{items[i], at}
	}
	return out
}

func byPlace[T any](a, b placed[T]) int { return a.at.compare(b.at) }

// mergeOrder returns each item of lists once, the first seen of those with
// the same id, in an order that keeps the order of every list (each is a
// part of one run, in that run's order) and otherwise follows compare,
// then the order first seen. Lists that disagree are taken in compare's
// order where they do.
func mergeOrder[T any](lists [][]T, id func(T) string, compare func(a, b T) int) []T {
	type node struct {
		item T
		in   int
		next []int
	}
	index := map[string]int{}
	var nodes []*node
	for _, l := range lists {
		prev := -1
		for _, it := range l {
			i, ok := index[id(it)]
			if !ok {
				i = len(nodes)
				index[id(it)] = i
				nodes = append(nodes, &node{item: it})
			}
			if prev >= 0 && prev != i {
				nodes[prev].next = append(nodes[prev].next, i)
				nodes[i].in++
			}
			prev = i
		}
	}
	before := func(a, b int) int { return cmp.Or(compare(nodes[a].item, nodes[b].item), cmp.Compare(a, b)) }
	var ready []int
	push := func(i int) {
		at, _ := slices.BinarySearchFunc(ready, i, before)
		ready = slices.Insert(ready, at, i)
	}
	for i, n := range nodes {
		if n.in == 0 {
			push(i)
		}
	}
	done := make([]bool, len(nodes))
	out := make([]T, 0, len(nodes))
	for len(out) < len(nodes) {
		if len(ready) == 0 { // a cycle: the lists disagree
			for i := range nodes {
				if !done[i] && (len(ready) == 0 || before(i, ready[0]) < 0) {
					ready = []int{i}
				}
			}
		}
		i := ready[0]
		ready = ready[1:]
		done[i] = true
		out = append(out, nodes[i].item)
		for _, j := range nodes[i].next {
			if nodes[j].in--; nodes[j].in == 0 && !done[j] {
				push(j)
			}
		}
	}
	return out
}
