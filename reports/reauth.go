package reports

import (
	"fmt"
	"strings"

	"github.com/flowrun/flowrun/runner"
)

// reauthed reports whether a step logged in again after a 401 and retried
// (reauth: on-401): every report says so, even of a step that passed.
func reauthed(st runner.StepResult) bool {
	for _, c := range st.Checks {
		if c.Kind == runner.CheckReauth && c.Passed() {
			return true
		}
	}
	return false
}

// reauthNote says which steps of a flow logged in again after a 401, or
// is empty when none did.
func reauthNote(f runner.FlowResult) string {
	var steps []string
	for i, st := range f.Steps {
		if reauthed(st) {
			steps = append(steps, fmt.Sprint(i+1))
		}
	}
	if len(steps) == 0 {
		return ""
	}
	word := "step"
	if len(steps) > 1 {
		word = "steps"
	}
	return fmt.Sprintf("re-logged in after a 401 at %s %s", word, strings.Join(steps, ", "))
}
