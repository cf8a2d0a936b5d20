// Command crasher ends as a crashed or a well-behaved flowrun child would,
// for the supervisor's tests: crasher panic | oom | kill | exit N.
package main

import (
	"os"
	"strconv"
	"syscall"
)

func main() {
	switch os.Args[1] {
	case "panic":
		panic("a bug")
	case "oom":
		// The Go runtime's own out-of-memory error: a fatal error, exit 2.
		_ = syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: 1 << 30, Max: 1 << 30})
		var keep [][]byte
		for {
			keep = append(keep, make([]byte, 64<<20))
			keep[len(keep)-1][0] = 1
		}
	case "kill":
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	case "exit":
		// A child that chose its code: it says so on descriptor 3.
		code, _ := strconv.Atoi(os.Args[2])
		_, _ = os.NewFile(3, "exit-code").Write([]byte{byte(code)})
		os.Exit(code)
	}
}
