package runner

import (
	"testing"
	"time"
)

// A step's env is sized for the helpers: a helper added without counting
// it makes every step's map grow.
func TestHelperCount(t *testing.T) {
	if n := len(helpers(time.Now)); n != helperCount {
		t.Errorf("addHelpers adds %d helpers; helperCount says %d", n, helperCount)
	}
}
