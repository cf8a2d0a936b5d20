package flows

import (
	"encoding/json"
	"strings"
)

// SchemaID names the spec schema; editors show it, nothing fetches it.
const SchemaID = "urn:flowrun:spec"

// durationPattern is a Go duration, or an ${ENV} reference that gives one.
const durationPattern = `^(\$\{[^}]+\}|([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+)$`

// JSONSchema returns the grammar as a JSON Schema (draft 2020-12), with a
// description and an example for every key: what `flowrun schema`
// writes, so editors check and complete specs as they are typed.
func (g *Grammar) JSONSchema() ([]byte, error) {
	defs := map[string]any{}
	for name, o := range g.Objects {
		defs[defName(name)] = g.objectSchema(o)
	}
	var kinds []any
	for _, k := range g.KindNames() {
		body := any(ref(g.Kinds[k].Name, "step "))
		if k == "wait" {
			body = map[string]any{"oneOf": []any{
				map[string]any{"type": "string", "pattern": durationPattern, "description": "how long to pause"},
				ref("wait", "step "),
			}}
		} else {
			// `- login:` with nothing after it is a login with no keys.
			body = map[string]any{"oneOf": []any{body, map[string]any{"type": "null"}}}
		}
		kinds = append(kinds, map[string]any{
			"type": "object", "description": g.Kinds[k].Description,
			"properties":           map[string]any{k: body},
			"required":             []string{k},
			"additionalProperties": false,
		})
	}
	defs["step"] = map[string]any{"description": "a step: a mapping with one key, its kind", "oneOf": kinds}
	root := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         SchemaID,
		"title":       "flowrun spec",
		"description": g.Spec.Description,
		"$ref":        "#/$defs/spec",
		"$defs":       defs,
	}
	return json.MarshalIndent(root, "", "  ")
}

func defName(name string) string { return strings.ReplaceAll(name, " ", "-") }

func ref(name, prefix string) map[string]any {
	return map[string]any{"$ref": "#/$defs/" + defName(prefix+name)}
}

// objectSchema is a mapping with exactly the object's keys, and x- keys
// for YAML anchors.
func (g *Grammar) objectSchema(o *Object) map[string]any {
	props := map[string]any{}
	var required []string
	for _, k := range o.Keys {
		props[k.Name] = g.keySchema(k)
		if k.Required {
			required = append(required, k.Name)
		}
	}
	s := map[string]any{
		"type": "object", "description": o.Description, "properties": props,
		"patternProperties":    map[string]any{"^x-": map[string]any{"description": "an extension key, ignored: holds YAML anchors"}},
		"additionalProperties": false,
	}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// keySchema is the schema of one key's value.
func (g *Grammar) keySchema(k Key) map[string]any {
	s := g.typeSchema(k)
	if k.Description != "" {
		s["description"] = k.Description
	}
	if k.Example != nil {
		s["examples"] = []any{k.Example}
	}
	return s
}

func (g *Grammar) typeSchema(k Key) map[string]any {
	scalar := []string{"string", "number", "boolean"}
	switch k.Type {
	case TString, TTemplate:
		if len(k.Enum) > 0 {
			return map[string]any{"type": "string", "enum": k.Enum}
		}
		return map[string]any{"type": "string"}
	case TDuration:
		return map[string]any{"type": "string", "pattern": durationPattern}
	case TBool:
		return map[string]any{"type": "boolean"}
	case TStatus:
		code := map[string]any{"type": "integer", "minimum": 100, "maximum": 599}
		return map[string]any{"oneOf": []any{code, map[string]any{"type": "array", "items": code, "minItems": 1}}}
	case TStrings:
		return map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "array", "items": map[string]any{"type": "string"}}}}
	case TPairs:
		return map[string]any{"type": "object", "additionalProperties": map[string]any{"type": append(scalar, "null")}}
	case TObject:
		return ref(k.Object.Name, "")
	case TList:
		return map[string]any{"type": "array", "items": ref(k.Object.Name, "")}
	case TMapOf:
		item := any(ref(k.Object.Name, ""))
		if k.Name == "capture" {
			item = map[string]any{"oneOf": []any{map[string]any{"type": "string"}, item}}
		}
		return map[string]any{"type": "object", "additionalProperties": item}
	case TSteps:
		return map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"$ref": "#/$defs/step"}}
	case TOneOf:
		var alts []any
		for _, alt := range k.OneOf {
			alts = append(alts, g.typeSchema(alt))
		}
		return map[string]any{"oneOf": alts}
	}
	return map[string]any{}
}

// Markdown returns a table of an object's keys for the reference doc:
// key, type and meaning, required keys marked.
func (g *Grammar) Markdown(o *Object, only ...string) string {
	var b strings.Builder
	b.WriteString("| key | type | meaning |\n| --- | --- | --- |\n")
	for _, k := range o.Keys {
		if len(only) > 0 && !containsFold(only, k.Name) {
			continue
		}
		t := typeText(k)
		if k.Required {
			t += ", **required**"
		}
		desc := k.Description
		if len(k.Enum) > 0 && k.Type != TOneOf {
			desc += "; one of " + strings.Join(k.Enum, ", ")
		}
		b.WriteString("| `" + k.Name + "` | " + t + " | " + desc + " |\n")
	}
	return b.String()
}

func typeText(k Key) string {
	switch k.Type {
	case TBool:
		return "true or false"
	case TStatus:
		return "status code or list"
	case TStrings:
		return "list of strings"
	case TPairs:
		return "mapping name → template"
	case TObject:
		return "mapping"
	case TList:
		return "list of " + k.Object.Name + "s"
	case TMapOf:
		return "mapping name → " + k.Object.Name
	case TSteps:
		return "list of steps"
	case TOneOf:
		return "string or mapping"
	}
	return string(k.Type)
}
