package runner_test

import (
	"testing"

	"github.com/flowrun/flowrun/flows"
	"github.com/flowrun/flowrun/runner"
)

// FuzzCompile compiles whatever the loader could decode, valid or not, as
// the CLI does to report every problem at once: it must never panic.
func FuzzCompile(f *testing.F) {
	for _, seed := range []string{
		benchSpec,
		"provider: a\nbase_url: http://x\nflows: [{name: f, tgs: [x], steps: [{request: {path: '/{{usr}}', expect: {assert: ['status ==']}}}]}]",
		"provider: a\nbase_url: http://x\nauth: {headers: {A: '{{t}}'}}\nrequests: {login: {path: /l}}\nflows: [{name: f, steps: [{login: {use: nope}}, {call: {}}]}]",
		"provider: a\nbase_url: http://x\nflows: [{name: f, rows: [{a: 1}, {b: 2}], steps: [{request: {json: {x: '{{a}}'}, headers: {H: null}}}]}]",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		spec, _ := flows.Parse("fuzz.yaml", []byte(src), func(string) (string, bool) { return "", false })
		if spec != nil {
			_, _ = runner.Compile(spec)
		}
	})
}
