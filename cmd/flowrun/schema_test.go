package main

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/flowrun/flowrun/examples/sandbox"
	"github.com/flowrun/flowrun/flows"
)

func TestSchemaCommandPrintsTheCommittedSchema(t *testing.T) {
	code, stdout, stderr := cli(t, context.Background(), nil, "schema")
	if code != exitPassed {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want, err := os.ReadFile("../../docs/spec.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if stdout != string(want) {
		t.Error("flowrun schema differs from docs/spec.schema.json (go test ./flows -update rewrites it)")
	}
}

func TestGrammarKnowsEverySandbox(t *testing.T) {
	k, _ := flows.NewGrammar().Objects["sandbox"].Key("provider")
	if !slices.Equal(k.Enum, sandbox.Names()) {
		t.Errorf("the grammar's sandboxes %v, the embedded ones %v", k.Enum, sandbox.Names())
	}
}
