package flows

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// expansion is what a node becomes once its aliases are expanded: how
// many nodes, and how many bytes of text its scalars hold.
type expansion struct{ nodes, bytes int64 }

// checkAliases reports an alias that refers to a node containing it, or a
// document that grows past lim.Nodes nodes or lim.Expanded bytes once its
// aliases are expanded: a "billion laughs" file, or one large scalar
// aliased many times inside a JSON body. The file's own size is bounded
// when it is read, so a document past a limit without any alias is
// reported as large, not blamed on aliases. Every later walk of the tree
// may then follow aliases freely.
func checkAliases(file string, root *yaml.Node, lim Limits) error {
	sizes := map[*yaml.Node]expansion{}
	onPath := map[*yaml.Node]bool{}
	aliased := false
	var size func(n *yaml.Node) (expansion, error)
	size = func(n *yaml.Node) (expansion, error) {
		if n.Kind == yaml.AliasNode {
			if onPath[n.Alias] {
				return expansion{}, Errorf(posOf(file, n), "alias *%s refers to a node that contains it; YAML anchors cannot nest in themselves", n.Value)
			}
			aliased = true
			n = n.Alias
		}
		if s, ok := sizes[n]; ok {
			return s, nil
		}
		onPath[n] = true
		defer delete(onPath, n)
		total := expansion{nodes: 1, bytes: int64(len(n.Value))}
		for _, c := range n.Content {
			s, err := size(c)
			if err != nil {
				return expansion{}, err
			}
			total.nodes += s.nodes
			total.bytes += s.bytes
			if err := overLimits(file, n, total, lim, aliased); err != nil {
				return expansion{}, err
			}
		}
		sizes[n] = total
		return total, nil
	}
	_, err := size(root)
	return err
}

// overLimits reports a node whose expansion passes a limit.
func overLimits(file string, n *yaml.Node, e expansion, lim Limits, aliased bool) error {
	var what string
	switch {
	case e.nodes > lim.Nodes:
		what = fmt.Sprintf("more than %d YAML nodes", lim.Nodes)
	case e.bytes > lim.Expanded:
		what = "more than " + FormatSize(lim.Expanded) + " of text"
	default:
		return nil
	}
	if !aliased {
		return Errorf(posOf(file, n), "the spec holds %s; split it into several spec files", what)
	}
	raise := "expanded=SIZE"
	if e.nodes > lim.Nodes {
		raise = "nodes=N"
	}
	return Errorf(posOf(file, n), "the spec expands to %s through its aliases; use fewer aliases, or raise the bound with --limit %s", what, raise)
}
