package runner

import "sync"

// Observer hears about a run while it goes: a terminal report that prints
// each flow as it ends, a progress line. Run calls it from one goroutine
// at a time.
type Observer interface {
	// Begin is called once, before any flow runs, with the result as it
	// begins: every spec and every flow picked, by name and place. The
	// flows' outcomes are being written while the run goes on: Begin may
	// keep r but reads only what it holds at the call.
	Begin(r *Result)
	// Flow is called with each flow once it has ended, and every flow
	// before it in report order has been passed to Flow: in report order,
	// whatever order the flows end in.
	Flow(s *SpecResult, f *FlowResult)
}

// Tracker is an Observer that also hears each run of a flow begin and
// end, in the order they do: what a progress line counts.
type Tracker interface {
	Started(f *FlowResult)
	Ended(f *FlowResult)
}

// delivery passes flows to an observer in report order as they end.
type delivery struct {
	mu   sync.Mutex
	obs  Observer
	tr   Tracker
	res  *Result
	refs []slotRef
	done []bool
	next int
	// summarize drops the details of each passed flow once delivered.
	summarize bool
}

// slotRef is where a slot's flow is in the result.
type slotRef struct{ spec, flow int }

func newDelivery(obs Observer, res *Result, refs []slotRef, summarize bool) *delivery {
	d := &delivery{obs: obs, res: res, refs: refs, done: make([]bool, len(refs)), summarize: summarize}
	d.tr, _ = obs.(Tracker)
	if obs != nil {
		obs.Begin(res)
	}
	return d
}

func (d *delivery) started(f *FlowResult) {
	if d.tr != nil {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.tr.Started(f)
	}
}

func (d *delivery) ended(f *FlowResult) {
	if d.tr != nil {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.tr.Ended(f)
	}
}

// complete marks a slot's flow as ended and passes on every flow now
// ready in order.
func (d *delivery) complete(slot int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.done[slot] = true
	for d.next < len(d.done) && d.done[d.next] {
		r := d.refs[d.next]
		s := &d.res.Specs[r.spec]
		if d.obs != nil {
			d.obs.Flow(s, &s.Flows[r.flow])
		}
		if d.summarize {
			summarize(&s.Flows[r.flow])
		}
		d.next++
	}
}
