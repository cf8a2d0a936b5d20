package runner

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/flowrun/flowrun/flows"
)

// leasePlan is one lease a flow holds while it runs: a principal named by
// the flow's `exclusive`, or by the `principal` of a named login it uses.
type leasePlan struct {
	name *template
	// vars are the login step's own variables, set before name is
	// evaluated; none for `exclusive`.
	vars []pairPlan
	what string
}

// leases compiles the leases of a flow. sc is the flow's scope before its
// first step: the spec's variables and the row's values.
func (c *compiler) leases(f *flows.Flow, fp *flowPlan, sc *scope) {
	what := fmt.Sprintf("flow %q: exclusive", f.Name)
	for _, t := range f.Exclusive {
		fp.leases = append(fp.leases, leasePlan{name: c.template(t.S, t.Pos, what, sc), what: what})
	}
	for i, sp := range fp.steps {
		if _, ok := sp.send.(flows.Login); !ok || sp.req.Principal == nil {
			continue
		}
		lsc := sc
		for _, v := range sp.req.Vars {
			lsc = lsc.with(v.Name)
		}
		what := fmt.Sprintf("flow %q: step %d (%s): principal", f.Name, i+1, sp.step.Name)
		fp.leases = append(fp.leases, leasePlan{name: c.template(sp.req.Principal.S, sp.req.Principal.Pos, what, lsc),
			vars: c.pairs(sp.req.Vars, what+": vars:", sc), what: what})
	}
}

// The kinds of lease, kept apart so that no principal's name can be taken
// for a spec's.
const (
	principalLease = "principal:"
	specLease      = "spec:"
)

// leaseNames returns the leases a flow instance holds while it runs:
// its principals, evaluated with the spec's variables and the row's
// values, and its spec's when the spec is serial.
func (p *Plan) leaseNames(in flowInstance, now func() time.Time) ([]string, error) {
	var out []string
	if p.Spec.Serial {
		out = append(out, specLease+p.Spec.File)
	}
	if len(in.fp.leases) == 0 {
		return out, nil
	}
	vars := map[string]any{}
	env := helpers(now)
	env[varsKey] = vars
	for _, v := range p.vars {
		val, err := v.tpl.value(env)
		if err != nil {
			return nil, fmt.Errorf("vars: %s: %v", v.name, err)
		}
		vars[v.name] = val
	}
	maps.Copy(vars, in.vars)
	for _, l := range in.fp.leases {
		lenv := env
		if len(l.vars) > 0 {
			lenv = maps.Clone(env)
			lv := maps.Clone(vars)
			lenv[varsKey] = lv
			for _, v := range l.vars {
				if v.tpl == nil {
					delete(lv, v.name)
					continue
				}
				val, err := v.tpl.value(lenv)
				if err != nil {
					return nil, fmt.Errorf("%s: vars: %s: %v; a principal must be known before the flow runs", l.what, v.name, err)
				}
				lv[v.name] = val
			}
		}
		name, err := l.name.render(lenv)
		if err != nil {
			return nil, fmt.Errorf("%s: %v; a principal must be known before the flow runs", l.what, err)
		}
		out = append(out, principalLease+name)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
