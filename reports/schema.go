package reports

import _ "embed"

// JSONSchema is the JSON Schema (draft 2020-12) of the report JSON
// writes, version JSONVersion: every field, its type and meaning, which
// fields are always present, and the values a status or a check kind
// may take. It is reports/schema/flowrun-result.schema.json, built in so
// the CLI can print it.
//
//go:embed schema/flowrun-result.schema.json
var JSONSchema []byte
