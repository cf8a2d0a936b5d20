package flows

import "gopkg.in/yaml.v3"

// maxNodes bounds the size of a spec once its aliases are expanded, so a
// "billion laughs" file is refused instead of eating the machine.
const maxNodes = 200_000

// checkAliases reports an alias that refers to a node containing it, or
// aliases that expand the document past maxNodes. Every later walk of the
// tree may then follow aliases freely.
func checkAliases(file string, root *yaml.Node) error {
	sizes := map[*yaml.Node]int{}
	onPath := map[*yaml.Node]bool{}
	var size func(n *yaml.Node) (int, error)
	size = func(n *yaml.Node) (int, error) {
		if n.Kind == yaml.AliasNode {
			if onPath[n.Alias] {
				return 0, Errorf(posOf(file, n), "alias *%s refers to a node that contains it; YAML anchors cannot nest in themselves", n.Value)
			}
			n = n.Alias
		}
		if s, ok := sizes[n]; ok {
			return s, nil
		}
		onPath[n] = true
		defer delete(onPath, n)
		total := 1
		for _, c := range n.Content {
			s, err := size(c)
			if err != nil {
				return 0, err
			}
			if total += s; total > maxNodes {
				return 0, Errorf(posOf(file, n), "the spec expands to more than %d YAML nodes through its aliases; write it out or use fewer aliases", maxNodes)
			}
		}
		sizes[n] = total
		return total, nil
	}
	_, err := size(root)
	return err
}
