package main

import (
	"bytes"
	"os"
	"testing"
)

func TestColorOnlyOnATerminal(t *testing.T) {
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		tty = nil // no terminal here: only the negative cases are checked
	}
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	for _, tc := range []struct {
		name    string
		out     any
		env     map[string]string
		noColor bool
		want    bool
	}{
		{"a buffer", &bytes.Buffer{}, nil, false, false},
		{"a pipe", w, nil, false, false},
		{"a terminal", tty, nil, false, true},
		{"a terminal, NO_COLOR", tty, map[string]string{"NO_COLOR": "1"}, false, false},
		{"a terminal, --no-color", tty, nil, true, false},
	} {
		if f, ok := tc.out.(*os.File); ok && f == nil {
			continue
		}
		a := &app{stdout: tc.out.(interface{ Write([]byte) (int, error) }), getenv: env(tc.env)}
		if got := a.color(tc.noColor); got != tc.want {
			t.Errorf("%s: got colour %v, want %v", tc.name, got, tc.want)
		}
	}
}
