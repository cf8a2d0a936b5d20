package reports_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/flowrun/flowrun/internal/reporttest"
	"github.com/flowrun/flowrun/reports"
	"github.com/flowrun/flowrun/runner"
)

func writeJSON(t *testing.T, name string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := reports.JSON(&b, results()[name], reports.Options{Version: "1.4.0"}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestJSONGolden(t *testing.T) {
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			golden(t, "json_"+name+".golden.json", writeJSON(t, name))
		})
	}
}

func TestJSONMatchesSchema(t *testing.T) {
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			reporttest.ValidateJSON(t, writeJSON(t, name))
		})
	}
}

func TestJSONEmptyRunMatchesSchema(t *testing.T) {
	for name, r := range map[string]*runner.Result{
		"nil specs":   {},
		"empty flows": {Specs: []runner.SpecResult{{File: "a.yaml", Provider: "a"}}},
	} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := reports.JSON(&b, r, reports.Options{}); err != nil {
				t.Fatal(err)
			}
			reporttest.ValidateJSON(t, b.Bytes())
		})
	}
}

// TestJSONSchemaHasTeeth breaks a valid report in each way a reader
// would trip on and checks that the schema refuses every one.
func TestJSONSchemaHasTeeth(t *testing.T) {
	sch := reporttest.CompileSchema(t, reporttest.ResultSchema)
	flow := func(d map[string]any) map[string]any {
		return d["specs"].([]any)[0].(map[string]any)["flows"].([]any)[1].(map[string]any)
	}
	step := func(d map[string]any) map[string]any { return flow(d)["steps"].([]any)[0].(map[string]any) }
	check := func(d map[string]any) map[string]any { return step(d)["checks"].([]any)[0].(map[string]any) }
	// The places of flow, step and check in an error.
	const fl = "/specs/0/flows/1"
	const st, ck = fl + "/steps/0", fl + "/steps/0/checks/0"
	for _, tc := range []struct {
		name   string
		mutate func(d map[string]any)
		at     string // where the schema must find the fault
	}{
		{"unknown flow status", func(d map[string]any) { flow(d)["status"] = "crashed" }, fl + "/status"},
		{"unknown run status", func(d map[string]any) { d["status"] = "skipped" }, "/status"},
		{"check status skipped", func(d map[string]any) { check(d)["status"] = "skipped" }, ck + "/status"},
		{"unknown check kind", func(d map[string]any) { check(d)["kind"] = "schema" }, ck + "/kind"},
		{"summary missing", func(d map[string]any) { delete(d, "summary") }, ""},
		{"summary count missing", func(d map[string]any) { delete(d["summary"].(map[string]any), "errored") }, "/summary"},
		{"flow pos missing", func(d map[string]any) { delete(flow(d), "pos") }, fl},
		{"pos line missing", func(d map[string]any) { delete(step(d)["pos"].(map[string]any), "line") }, st + "/pos"},
		{"value text missing", func(d map[string]any) { delete(check(d)["actual"].(map[string]any), "text") }, ck + "/actual"},
		{"unknown field", func(d map[string]any) { d["extra"] = 1 }, ""},
		{"unknown step field", func(d map[string]any) { step(d)["attempts"] = 2 }, st},
		{"duration as text", func(d map[string]any) { flow(d)["duration_ns"] = "3ms" }, fl + "/duration_ns"},
		{"negative duration", func(d map[string]any) { flow(d)["duration_ns"] = -1 }, fl + "/duration_ns"},
		{"time not RFC 3339", func(d map[string]any) { flow(d)["started"] = "yesterday" }, fl + "/started"},
		{"other format", func(d map[string]any) { d["format"] = "ctrf" }, "/format"},
		{"other version", func(d map[string]any) { d["version"] = 2 }, "/version"},
		{"empty optional string", func(d map[string]any) { flow(d)["reason"] = "" }, fl + "/reason"},
		{"empty optional list", func(d map[string]any) { step(d)["checks"] = []any{} }, st + "/checks"},
		{"interrupted false", func(d map[string]any) { d["interrupted"] = false }, "/interrupted"},
		{"response status out of range", func(d map[string]any) {
			step(d)["exchanges"].([]any)[0].(map[string]any)["response"].(map[string]any)["status"] = 42
		}, st + "/exchanges/0/response/status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d map[string]any
			if err := json.Unmarshal(writeJSON(t, "failed"), &d); err != nil {
				t.Fatal(err)
			}
			tc.mutate(d)
			doc, _ := json.Marshal(d)
			if err := sch.Check(doc); err == nil {
				t.Errorf("got a valid document, want the schema to refuse it")
			} else if !strings.Contains(err.Error(), "'"+tc.at+"'") {
				t.Errorf("refused for another reason than at %s:\n%v", tc.at, err)
			}
		})
	}
}

// TestJSONSchemaFollowsTypes checks each of the schema's definitions
// against the Go type it describes: the same properties, and required
// exactly when the field has neither omitempty nor omitzero.
func TestJSONSchemaFollowsTypes(t *testing.T) {
	var s schemaNode
	if err := json.Unmarshal(reports.JSONSchema, &s); err != nil {
		t.Fatal(err)
	}
	for def, typ := range map[string]reflect.Type{
		"pos":      reflect.TypeFor[runner.Pos](),
		"spec":     reflect.TypeFor[runner.SpecResult](),
		"flow":     reflect.TypeFor[runner.FlowResult](),
		"step":     reflect.TypeFor[runner.StepResult](),
		"exchange": reflect.TypeFor[runner.Exchange](),
		"request":  reflect.TypeFor[runner.Request](),
		"response": reflect.TypeFor[runner.Response](),
		"body":     reflect.TypeFor[runner.Body](),
		"header":   reflect.TypeFor[runner.Header](),
		"check":    reflect.TypeFor[runner.Check](),
		"value":    reflect.TypeFor[runner.Value](),
	} {
		n, ok := s.Defs[def]
		if !ok {
			t.Errorf("no $defs/%s for %s", def, typ)
			continue
		}
		compareFields(t, "$defs/"+def, n, jsonFields(typ))
	}
	// The envelope is reports.JSON's own fields, then runner.Result's.
	top := map[string]bool{"format": true, "version": true, "tool": true, "status": true, "summary": true}
	for name, req := range jsonFields(reflect.TypeFor[runner.Result]()) {
		top[name] = req
	}
	compareFields(t, "the envelope", s, top)
}

// TestJSONSchemaDescribesEveryProperty checks that every property of
// every object in the schema has a description.
func TestJSONSchemaDescribesEveryProperty(t *testing.T) {
	var s schemaNode
	if err := json.Unmarshal(reports.JSONSchema, &s); err != nil {
		t.Fatal(err)
	}
	var walk func(path string, n schemaNode)
	walk = func(path string, n schemaNode) {
		for name, p := range n.Properties {
			if strings.TrimSpace(p.Description) == "" {
				t.Errorf("%s/properties/%s has no description", path, name)
			}
			walk(path+"/properties/"+name, p)
		}
		for name, d := range n.Defs {
			walk(path+"/$defs/"+name, d)
		}
		if n.Type == "object" && n.AdditionalProperties != false {
			t.Errorf("%s: flowrun's objects set additionalProperties: false", path)
		}
	}
	walk("#", s)
}

func TestJSONSchemaEmbedded(t *testing.T) {
	file, err := os.ReadFile(reporttest.RepoFile(t, reporttest.ResultSchema))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file, reports.JSONSchema) {
		t.Error("reports.JSONSchema differs from " + reporttest.ResultSchema)
	}
}

// schemaNode is the part of a JSON Schema the tests read.
type schemaNode struct {
	Type                 any                   `json:"type"`
	Description          string                `json:"description"`
	Properties           map[string]schemaNode `json:"properties"`
	Required             []string              `json:"required"`
	AdditionalProperties any                   `json:"additionalProperties"`
	Defs                 map[string]schemaNode `json:"$defs"`
}

// jsonFields returns the JSON names of a struct's fields, each with
// whether encoding/json always writes it.
func jsonFields(typ reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag, ok := f.Tag.Lookup("json")
		if !f.IsExported() || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if !ok || name == "" {
			name = f.Name
		}
		opt := strings.Split(opts, ",")
		out[name] = !slices.Contains(opt, "omitempty") && !slices.Contains(opt, "omitzero")
	}
	return out
}

func compareFields(t *testing.T, where string, n schemaNode, fields map[string]bool) {
	t.Helper()
	var props, want []string
	for name := range n.Properties {
		props = append(props, name)
	}
	for name, always := range fields {
		if always {
			want = append(want, name)
		}
		if _, ok := n.Properties[name]; !ok {
			t.Errorf("%s: field %q has no property", where, name)
		}
	}
	for _, name := range props {
		if _, ok := fields[name]; !ok {
			t.Errorf("%s: property %q is no field", where, name)
		}
	}
	got := slices.Clone(n.Required)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("%s: required is %q, want %q (the fields without omitempty or omitzero)", where, got, want)
	}
}
