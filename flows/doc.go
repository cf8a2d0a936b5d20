// Package flows is flowrun's spec model: a YAML file describes one API
// provider and the auth flows to run against it. Load decodes a file through
// yaml.Node, so every flow, step, capture and assertion keeps its
// file:line:col, and checks its structure before anything is sent.
//
//	spec, err := flows.Load("specs/openloyalty.yaml", os.LookupEnv)
//	if err != nil {
//		fmt.Fprintln(os.Stderr, err) // every problem, one per line, each with file:line:col
//	}
//	for _, f := range spec.Flows {
//		for _, s := range f.Steps {
//			fmt.Println(s.Pos, s.Action.Kind())
//		}
//	}
//
// The package does no network I/O and imports no other flowrun package.
package flows
