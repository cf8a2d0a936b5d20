package reports

import (
	"encoding/json"
	"io"

	"github.com/flowrun/flowrun/runner"
)

// JSONVersion is the version of the JSON report's format. It changes
// only when a field is removed or changes meaning; new fields may appear
// within a version.
const JSONVersion = 1

// jsonReport is the JSON report: the whole result, with what a reader
// would otherwise compute (the outcome, the counts) and what made it.
type jsonReport struct {
	Format  string      `json:"format"`
	Version int         `json:"version"`
	Tool    jsonTool    `json:"tool"`
	Status  string      `json:"status"`
	Summary jsonSummary `json:"summary"`
	*runner.Result
}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type jsonSummary struct {
	Flows   int `json:"flows"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Errored int `json:"errored"`
	Skipped int `json:"skipped"`
}

// JSON writes flowrun's full result as JSON: every spec, flow, step,
// exchange and check with its place and timing, secrets masked. The
// format is described by reports/schema/flowrun-result.schema.json.
func JSON(w io.Writer, r *runner.Result, o Options) error {
	c := r.Counts()
	rep := jsonReport{
		Format:  "flowrun-result",
		Version: JSONVersion,
		Tool:    jsonTool{Name: "flowrun", Version: o.Version},
		Status:  string(r.Status()),
		Summary: jsonSummary{Flows: r.Flows(), Passed: c[runner.Passed], Failed: c[runner.Failed],
			Errored: c[runner.Errored], Skipped: c[runner.Skipped]},
		Result: r,
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Masked secrets (<token#3f2a>) and bodies read better unescaped; the
	// file is never embedded in HTML.
	enc.SetEscapeHTML(false)
	return enc.Encode(rep)
}
