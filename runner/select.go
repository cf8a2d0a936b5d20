package runner

import (
	"strings"
	"time"
)

// Instance is one run of a flow that a plan would make: a plain flow runs
// once, a data-driven flow once per row.
type Instance struct {
	// Provider names the spec's provider, as Config.Filter sees it.
	Provider string `json:"provider"`
	// Name is the flow's name, with " [row]" for a row of a data-driven
	// flow: the name the result reports and Config.Filter sees.
	Name string `json:"name"`
	// Row names the row; empty for a plain flow.
	Row  string   `json:"row,omitempty"`
	Tags []string `json:"tags"`
	// File is the spec file.
	File string `json:"file"`
	// Pos is where the flow, or its row, is written.
	Pos Pos `json:"pos"`
	// Exclusive names the principals the flow holds a lease on.
	Exclusive []string `json:"exclusive,omitempty"`
}

// Select returns the flow instances that Run with cfg would run: those
// cfg.Filter picks, of cfg.Shard, in the order Run reports them. It sends
// nothing.
func Select(plans []*Plan, cfg Config) []Instance {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var out []Instance
	for i, picked := range pick(plans, &cfg) {
		p := plans[i]
		for _, in := range picked {
			tags := in.fp.flow.Tags
			if tags == nil {
				tags = []string{} // a JSON list, never null
			}
			var excl []string
			for _, l := range in.leases {
				if name, ok := strings.CutPrefix(l, principalLease); ok {
					excl = append(excl, name)
				}
			}
			out = append(out, Instance{Provider: p.Spec.Provider, Name: in.name, Row: in.row, Tags: tags,
				File: p.Spec.File, Pos: in.pos, Exclusive: excl})
		}
	}
	return out
}

// pick returns, for each plan, the flow instances a run with cfg runs,
// with the leases each holds.
func pick(plans []*Plan, cfg *Config) [][]flowInstance {
	out := make([][]flowInstance, len(plans))
	for i, p := range plans {
		out[i] = p.picked(cfg.Filter)
		for j := range out[i] {
			in := &out[i][j]
			in.leases, in.leaseErr = p.leaseNames(*in, cfg.Now)
		}
	}
	return shard(out, plans, cfg.Shard)
}

// picked returns the flow instances filter picks, every one for a nil
// filter, in the plan's order.
func (p *Plan) picked(filter func(spec, flow string, tags []string) bool) []flowInstance {
	var out []flowInstance
	for _, fp := range p.flows {
		for _, in := range instances(fp) {
			if filter == nil || filter(p.Spec.Provider, in.name, fp.flow.Tags) {
				out = append(out, in)
			}
		}
	}
	return out
}
