//go:build !unix

package main

import (
	"io"
	"os"
)

// supervisedExit: without Unix process groups, flowrun runs in one
// process, and a crash of the Go runtime exits 2.
func supervisedExit() (exit func(int), supervised bool) { return os.Exit, true }

func supervise([]string, io.Writer) (int, bool) { return 0, false }
