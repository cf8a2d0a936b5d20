package flows

import (
	"strings"
	"testing"
)

func TestAliasesCannotLoopOrExplode(t *testing.T) {
	laughs := "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" +
		"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
	for _, tc := range []struct{ name, src, want string }{
		{"self", "provider: p\nbase_url: http://x\nflows:\n  - name: a\n    steps: [{request: {path: /, json: &j {a: *j}}}]\n",
			"a.yaml:5:46: alias *j refers to a node that contains it"},
		{"laughs", "provider: p\nbase_url: http://x\nrequests:\n  r:\n    path: /\n    json:\n      " +
			strings.ReplaceAll(laughs, "\n", "\n      ") + "\nflows: []\n", "expands to more than 200000 YAML nodes"},
	} {
		_, err := Parse("a.yaml", []byte(tc.src), noEnv)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestAliasesStillWork(t *testing.T) {
	s, err := Parse("a.yaml", []byte(`
provider: p
base_url: http://x
x-common: &common {path: /me, expect: {status: 200}}
flows:
  - name: a
    steps: [{request: *common}, {request: *common}]
`), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range s.Flows[0].Steps {
		if r := st.Action.(Sender).Req(); r.Path.S != "/me" || r.Expect.Status[0] != 200 {
			t.Errorf("step %d: the alias was not followed: %+v", i+1, r)
		}
	}
}
