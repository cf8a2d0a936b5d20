package runner

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
}

// Select returns the flow instances of the plan that filter picks, every
// one for a nil filter, in the order Run runs and reports them. It sends
// nothing: it says what Run with the same filter would run.
func (p *Plan) Select(filter func(spec, flow string, tags []string) bool) []Instance {
	var out []Instance
	for _, in := range p.picked(filter) {
		tags := in.fp.flow.Tags
		if tags == nil {
			tags = []string{} // a JSON list, never null
		}
		out = append(out, Instance{Provider: p.Spec.Provider, Name: in.name, Row: in.row, Tags: tags,
			File: p.Spec.File, Pos: in.pos})
	}
	return out
}

// picked returns the flow instances filter picks, every one for a nil
// filter, in the plan's order: what Run runs and Select lists.
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
