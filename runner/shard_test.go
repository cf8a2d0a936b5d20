package runner_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/flowrun/flowrun/runner"
)

// shardSpec has n flows; every third flow shares the lease "alice".
func shardSpec(n int) string {
	var b strings.Builder
	b.WriteString("provider: shards\nbase_url: http://unused\nflows:\n")
	for i := range n {
		excl := ""
		if i%3 == 0 {
			excl = "    exclusive: [alice]\n"
		}
		fmt.Fprintf(&b, "  - name: flow %02d\n%s    steps: [{request: {path: /%d}}]\n", i, excl, i)
	}
	return b.String()
}

func TestShardsAreDisjointAndCoverEveryFlow(t *testing.T) {
	plans := []*runner.Plan{plan(t, "http://unused", shardSpec(40)),
		plan(t, "http://unused", strings.Replace(shardSpec(7), "provider: shards", "provider: other", 1))}
	all := runner.Select(plans, runner.Config{})
	for n := 1; n <= 6; n++ {
		seen := map[string]int{}
		var sizes []int
		for k := 1; k <= n; k++ {
			share := runner.Select(plans, runner.Config{Shard: runner.Shard{K: k, N: n}})
			again := runner.Select(plans, runner.Config{Shard: runner.Shard{K: k, N: n}})
			if fmt.Sprint(share) != fmt.Sprint(again) {
				t.Fatalf("%d/%d: two selections differ", k, n)
			}
			sizes = append(sizes, len(share))
			alice := 0
			for _, in := range share {
				seen[in.Provider+"/"+in.Name]++
				if len(in.Exclusive) > 0 {
					alice++
				}
			}
			if alice != 0 && alice != 17 {
				t.Errorf("%d/%d: got %d of the 17 flows leasing alice (of both specs), want all or none", k, n, alice)
			}
		}
		if len(seen) != len(all) {
			t.Errorf("%d shards: got %d flows in all, want %d", n, len(seen), len(all))
		}
		for name, c := range seen {
			if c != 1 {
				t.Errorf("%d shards: flow %s is in %d shards, want 1", n, name, c)
			}
		}
		// The 17 flows leasing alice are one unit; the other 30 spread
		// so that no shard has more than the unit or one more than the least.
		least, most := len(all), 0
		for _, s := range sizes {
			least, most = min(least, s), max(most, s)
		}
		if n > 1 && most > max(17, least+1) {
			t.Errorf("%d shards: sizes %v are not balanced", n, sizes)
		}
	}
}
