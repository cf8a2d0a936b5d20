package runner

import (
	"maps"
	"math"
	"reflect"
	"slices"
	"time"
)

// maxDepth is how deeply nested a value flowrun walks: as deep as expr's
// own built-ins go.
const maxDepth = 10_000

// textSize estimates the length of v written as JSON or as a template
// writes it, without writing it: what writing it costs. It stops once
// the estimate passes limit, so a value that holds the same list many
// times over, 2ⁿ elements to a writer for 2n to its maker, costs no more
// than limit to measure; one nested deeper than maxDepth is larger than
// any limit.
func textSize(v any, limit int64) int64 {
	w := sizeWalk{limit: limit}
	w.walk(v, 0)
	return w.n
}

type sizeWalk struct{ n, limit int64 }

func (w *sizeWalk) walk(v any, depth int) {
	if w.n > w.limit {
		return
	}
	if depth > maxDepth {
		w.n = add(w.limit, 1)
		return
	}
	switch x := v.(type) {
	case nil:
		w.n += 4
	case string:
		w.n = add(w.n, int64(len(x))+2)
	case bool:
		w.n += 5
	case float64:
		w.n += numLen(x)
	case int:
		w.n += numLen(float64(x))
	case int64, time.Duration, time.Time:
		w.n += 24
	case []any:
		w.n += 2
		for _, e := range x {
			if w.n++; w.n > w.limit {
				return
			}
			w.walk(e, depth+1)
		}
	case map[string]any:
		w.n += 2
		for k, e := range x {
			if w.n = add(w.n, int64(len(k))+4); w.n > w.limit {
				return
			}
			w.walk(e, depth+1)
		}
	case []string:
		w.n += 2
		for _, s := range x {
			if w.n = add(w.n, int64(len(s))+3); w.n > w.limit {
				return
			}
		}
	case []int:
		w.n += 2
		for _, e := range x {
			if w.n += numLen(float64(e)) + 1; w.n > w.limit {
				return
			}
		}
	case []float64:
		w.n += 2
		for _, e := range x {
			if w.n += numLen(e) + 1; w.n > w.limit {
				return
			}
		}
	default:
		w.reflected(reflect.ValueOf(v), depth)
	}
}

// reflected walks the lists and maps of other types (groupBy's map,
// header maps, typed slices); anything else counts as a number does.
func (w *sizeWalk) reflected(rv reflect.Value, depth int) {
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		w.n += 2
		for i := range rv.Len() {
			if w.n++; w.n > w.limit {
				return
			}
			w.walk(rv.Index(i).Interface(), depth+1)
		}
	case reflect.Map:
		w.n += 2
		for it := rv.MapRange(); it.Next(); {
			if w.n += 4; w.n > w.limit {
				return
			}
			w.walk(it.Key().Interface(), depth+1)
			w.walk(it.Value().Interface(), depth+1)
		}
	case reflect.String:
		w.n = add(w.n, int64(rv.Len())+2)
	default:
		w.n += 8
	}
}

// numLen is about the length of a number written out: exact for whole
// numbers of up to 15 digits, the longest for others.
func numLen(x float64) int64 {
	if x != math.Trunc(x) || math.Abs(x) >= 1e15 {
		return 24
	}
	n := int64(1)
	if x < 0 {
		n, x = 2, -x
	}
	for ; x >= 10; x /= 10 {
		n++
	}
	return n
}

// showKeep is about how much of a value a failed check shows: the result
// keeps far less (valueKeep), once masked.
const showKeep = 64 << 10

// excerpt returns v, or, when v is larger than keep written out, a copy
// of its first parts that is not: longer strings cut, the rest of a list
// given as one "…" element, the rest of a map's keys, in order, as one
// "…" key. It is still JSON, and writing it costs about keep.
func excerpt(v any, keep int64) any {
	if textSize(v, keep) <= keep {
		return v
	}
	p := pruner{left: keep}
	return p.prune(v, 0)
}

type pruner struct{ left int64 }

const more = "…"

func (p *pruner) prune(v any, depth int) any {
	if p.left <= 0 || depth > maxDepth {
		return more
	}
	switch x := v.(type) {
	case string:
		if int64(len(x)) > p.left {
			s := cutAt(x, int(p.left)) + more
			p.left = 0
			return s
		}
		p.left -= int64(len(x)) + 2
		return x
	case map[string]any:
		p.left -= 2
		out := make(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if p.left <= 0 {
				out[more] = more
				break
			}
			p.left -= int64(len(k)) + 4
			out[k] = p.prune(x[k], depth+1)
		}
		return out
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		p.left -= 2
		out := make([]any, 0, max(min(rv.Len(), int(p.left)), 0))
		for i := range rv.Len() {
			if p.left <= 0 {
				out = append(out, more)
				break
			}
			p.left--
			out = append(out, p.prune(rv.Index(i).Interface(), depth+1))
		}
		return out
	case reflect.Map:
		// As a map[string]any, so that it is cut, in order, as one is.
		m := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			m[stringify(it.Key().Interface())] = it.Value().Interface()
		}
		return p.prune(m, depth)
	}
	p.left -= 8
	return v
}

// textLen is the length of a string or a byte slice, else 0.
func textLen(v any) int64 {
	switch x := v.(type) {
	case string:
		return int64(len(x))
	case []byte:
		return int64(len(x))
	}
	return 0
}

// shallowLen is the number of elements of a list or a map, the length of
// a string, or 0.
func shallowLen(v any) int64 {
	switch x := v.(type) {
	case nil:
		return 0
	case string:
		return int64(len(x))
	case []any:
		return int64(len(x))
	case map[string]any:
		return int64(len(x))
	case []string:
		return int64(len(x))
	case []int:
		return int64(len(x))
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return int64(rv.Len())
	}
	return 0
}

// unitOf names what a value's size counts.
func unitOf(v any) string {
	if _, ok := v.(string); ok {
		return "bytes"
	}
	return "elements"
}

// mul and add saturate at math.MaxInt64 rather than overflow; their
// operands are not negative.
func mul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

func add(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
