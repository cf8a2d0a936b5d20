package main

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowrun/flowrun/examples/sandbox"
)

func newSandboxCmd(a *app) *cobra.Command {
	var (
		port            int
		tokenLifetime   time.Duration
		refreshLifetime time.Duration
	)
	cmd := &cobra.Command{
		Use:   "sandbox [PROVIDER...]",
		Short: "Serve the embedded provider simulators on 127.0.0.1 until interrupted",
		Long: `sandbox serves the simulators of the named providers (all of them by default) on
127.0.0.1 and prints one line per provider, NAME URL, so curl, Postman or a client
under development can use them. It stops on Ctrl-C.

Providers: ` + strings.Join(sandbox.Names(), ", ") + `. Each one's endpoints, seeded users and
settings are described in examples/sandbox/<provider>.md.`,
		Example: `  flowrun sandbox
  flowrun sandbox mic --port 8080 --token-lifetime 5s`,
		RunE: func(cmd *cobra.Command, args []string) error {
			names := args
			if len(names) == 0 {
				names = sandbox.Names()
			}
			opts := sandbox.Options{TokenLifetime: tokenLifetime, RefreshLifetime: refreshLifetime}
			var servers []*sandbox.Server
			defer func() {
				for _, s := range servers {
					s.Close()
				}
			}()
			for i, name := range names {
				addr := "127.0.0.1:0"
				if port != 0 {
					addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port+i))
				}
				srv, err := sandbox.StartAt(name, addr, opts)
				if err != nil {
					return &exitError{code: exitUsage, err: fmt.Errorf("flowrun sandbox: %w", err)}
				}
				servers = append(servers, srv)
				fmt.Fprintf(a.stdout, "%s %s\n", name, srv.URL)
			}
			<-cmd.Context().Done()
			return nil
		},
	}
	cmd.Flags().IntVar(&port, "port", 0, "first port to listen on (providers take consecutive ports); 0 picks free ones")
	cmd.Flags().DurationVar(&tokenLifetime, "token-lifetime", 0, "access/session token lifetime (0: each provider's documented default)")
	cmd.Flags().DurationVar(&refreshLifetime, "refresh-lifetime", 0, "refresh token lifetime (0: each provider's default)")
	return cmd
}
