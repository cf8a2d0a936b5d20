// Command flowrun runs declarative API auth-flow specs.
//
//	flowrun specs/                 run every spec in specs/ (run is the default)
//	flowrun validate specs/        check specs without sending anything
//	flowrun sandbox                serve the embedded provider simulators
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	exit, supervised := supervisedExit()
	if !supervised {
		if code, ok := supervise(os.Args[1:], os.Stderr); ok {
			os.Exit(code)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal stops the run, which still writes its reports;
		// a second one ends the process at once.
		<-ctx.Done()
		stop()
	}()
	code := execute(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	exit(code)
}
