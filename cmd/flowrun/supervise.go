//go:build unix

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
)

// The flowrun process runs its work in a child process of itself, so that
// a crash of the Go runtime (out of memory, a fatal error), which exits 2
// like an invalid spec, or a kill by the kernel's out-of-memory killer,
// can be told apart and reported as exit 3. The child reports the exit
// code it chose on a pipe before it exits: a child that ends without
// reporting one crashed.

// supervisedEnv, in a child's environment, holds the supervisor's
// process ID; the child writes its exit code on file descriptor 3.
const supervisedEnv = "FLOWRUN_SUPERVISOR_PID"

// supervisedExit tells whether this process is a supervised child, and
// returns how it exits: reporting its code to the supervisor first.
func supervisedExit() (exit func(int), supervised bool) {
	if os.Getenv(supervisedEnv) != strconv.Itoa(os.Getppid()) {
		return os.Exit, false
	}
	os.Unsetenv(supervisedEnv)
	pipe := os.NewFile(3, "exit-code")
	return func(code int) {
		_, _ = pipe.Write([]byte{byte(code)})
		os.Exit(code)
	}, true
}

// supervise runs this program again as a child with args, passes it each
// SIGINT and SIGTERM, and returns the exit code to leave with. ok is false
// when no child could be started: the caller then does the work itself.
func supervise(args []string, stderr io.Writer) (code int, ok bool) {
	exe, err := os.Executable()
	if err != nil {
		return 0, false
	}
	return superviseCmd(exec.Command(exe, args...), stderr)
}

// superviseCmd runs cmd as a supervised child; see supervise.
func superviseCmd(cmd *exec.Cmd, stderr io.Writer) (code int, ok bool) {
	r, w, err := os.Pipe()
	if err != nil {
		return 0, false
	}
	defer r.Close()
	if cmd.Stdout == nil {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	}
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, supervisedEnv+"="+strconv.Itoa(os.Getpid()))
	cmd.ExtraFiles = []*os.File{w}
	// A process group of its own: a Ctrl-C at the terminal reaches the
	// supervisor alone, which passes it on once, so the child counts
	// each press once (the second one ends it at once).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		w.Close()
		return 0, false
	}
	w.Close()
	reported := make(chan int, 1)
	go func() {
		b := make([]byte, 1)
		if n, _ := r.Read(b); n == 1 {
			reported <- int(b[0])
		}
		close(reported)
	}()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			_ = cmd.Process.Signal(sig)
		case err := <-done:
			if c, ok := <-reported; ok {
				return c, true
			}
			return crashed(err, stderr), true
		}
	}
}

// crashed reports a child that ended without choosing its exit code.
func crashed(err error, stderr io.Writer) int {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		fmt.Fprintf(stderr, "flowrun: internal error: %v\n", err)
		return exitInternal
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		switch ws.Signal() {
		case syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP:
			// A second Ctrl-C ends the run at once, as asked.
			return exitInterrupted
		case syscall.SIGKILL:
			fmt.Fprintln(stderr, "flowrun: internal error: the process was killed (SIGKILL), most likely by the system for using too much memory; the reports may be missing or incomplete")
			return exitInternal
		}
		fmt.Fprintf(stderr, "flowrun: internal error: the process ended on signal %v; the reports may be missing or incomplete\n", ws.Signal())
		return exitInternal
	}
	fmt.Fprintf(stderr, "flowrun: internal error: the process crashed (%v); the lines above say why. This is a bug of flowrun, or the machine ran out of memory; please report it. The reports may be missing or incomplete.\n", ee)
	return exitInternal
}
