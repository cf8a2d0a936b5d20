package runner

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
)

// Shard is one share of a run's flows, for splitting a run over machines:
// the K-th of N, K from 1. The zero Shard is the whole run.
type Shard struct{ K, N int }

// String writes the shard as K/N; empty for the whole run.
func (s Shard) String() string {
	if s.N <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.K, s.N)
}

// unit is a group of flow instances that must share a shard: the flows
// holding a common lease.
type unit struct {
	members []*flowInstance
	key     uint64
}

// shard keeps, of the picked instances of every plan, those of shard s.
// Flows holding a common lease form one unit, so that they still never
// overlap; the units go, largest first, each to the shard with the fewest
// flows so far. The share depends only on the flows, so every machine
// computes the same one.
func shard(picked [][]flowInstance, plans []*Plan, s Shard) [][]flowInstance {
	if s.N <= 1 {
		return picked
	}
	units := units(picked, plans)
	load := make([]int, s.N)
	keep := map[*flowInstance]bool{}
	for _, u := range units {
		to := 0
		for i := range load {
			if load[i] < load[to] {
				to = i
			}
		}
		load[to] += len(u.members)
		if to == s.K-1 {
			for _, m := range u.members {
				keep[m] = true
			}
		}
	}
	out := make([][]flowInstance, len(picked))
	for i := range picked {
		for j := range picked[i] {
			if keep[&picked[i][j]] {
				out[i] = append(out[i], picked[i][j])
			}
		}
	}
	return out
}

// units groups the instances that share a lease, and orders the groups
// largest first, then by a hash of their first flow's provider and name:
// a fixed order that mixes specs rather than running down the alphabet,
// and that does not depend on where the spec files are on a machine.
func units(picked [][]flowInstance, plans []*Plan) []*unit {
	owner := map[string]*unit{}
	var all []*unit
	for i := range picked {
		for j := range picked[i] {
			in := &picked[i][j]
			u := &unit{members: []*flowInstance{in}, key: keyOf(plans[i].Spec.Provider, in.name)}
			all = append(all, u)
			for _, l := range in.leases {
				if o, ok := owner[l]; ok && o != u {
					// Join u into o: every lease of u now points at o.
					o.members = append(o.members, u.members...)
					for k, v := range owner {
						if v == u {
							owner[k] = o
						}
					}
					u.members = nil
					u = o
				}
				owner[l] = u
			}
		}
	}
	// A unit joined into another is left empty.
	out := slices.DeleteFunc(all, func(u *unit) bool { return len(u.members) == 0 })
	slices.SortStableFunc(out, func(a, b *unit) int {
		return cmp.Or(cmp.Compare(len(b.members), len(a.members)), cmp.Compare(a.key, b.key))
	})
	return out
}

func keyOf(provider, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(provider))
	h.Write([]byte{0})
	h.Write([]byte(name))
	return h.Sum64()
}
