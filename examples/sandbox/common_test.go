package sandbox

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestJWTSignerExpiry(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name     string
		now      time.Time
		lifetime time.Duration
		wantExp  int64
	}{
		{"whole second", t0, time.Second, 1_700_000_001},
		{"half past", t0.Add(500 * time.Millisecond), time.Second, 1_700_000_002},
		{"a nanosecond past", t0.Add(time.Nanosecond), time.Hour, 1_700_003_601},
		{"a nanosecond before", t0.Add(-time.Nanosecond), time.Second, 1_700_000_001},
		{"fractional lifetime", t0, 1500 * time.Millisecond, 1_700_000_002},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newJWTSigner(func() time.Time { return tt.now })
			claims, err := s.parse(s.sign(jwt.MapClaims{}, tt.lifetime), true)
			if err != nil {
				t.Fatal(err)
			}
			exp, err := claims.GetExpirationTime()
			if err != nil {
				t.Fatal(err)
			}
			if got := exp.Unix(); got != tt.wantExp {
				t.Errorf("got exp %d, want %d", got, tt.wantExp)
			}
			// The documented guarantee: at least lifetime, less than a second more.
			if lived := exp.Sub(tt.now); lived < tt.lifetime || lived >= tt.lifetime+time.Second {
				t.Errorf("got a token living %v, want [%v, %v)", lived, tt.lifetime, tt.lifetime+time.Second)
			}
		})
	}
}
