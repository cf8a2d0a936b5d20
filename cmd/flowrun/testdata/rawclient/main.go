// Command rawclient runs, by hand with net/http and encoding/json, the
// auth flow the process benchmark runs through flowrun: log in, call,
// call without a token (401), refresh, call with the new token, log out,
// call with the old token (401). It exits 0 when every check held.
//
//	rawclient http://127.0.0.1:PORT
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/flowrun/flowrun/internal/rawflow"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: rawclient BASE_URL")
		os.Exit(2)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if err := rawflow.Run(context.Background(), c, os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "rawclient:", err)
		os.Exit(1)
	}
	fmt.Println("passed")
}
