package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print flowrun's version, the Go version and the commit it was built from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			bi, _ := debug.ReadBuildInfo()
			_, err := fmt.Fprint(a.stdout, versionText(version, bi))
			return err
		},
	}
}

// setVersion makes -V and --version on root print what `flowrun version`
// prints.
func setVersion(root *cobra.Command) {
	bi, _ := debug.ReadBuildInfo()
	// Cobra prints Version through the template; the text is passed as
	// data, so nothing in it is read as a template action.
	root.Version = versionText(version, bi)
	root.SetVersionTemplate("{{.Version}}")
	// Declared here, cobra adds no --version flag of its own; -v is --verbose.
	root.Flags().BoolP("version", "V", false, "print the version and exit")
}

// versionText is the version report: flowrun's version, then, when bi is
// known, the Go version and platform, and the commit it was built from.
// A binary built by go install module@vX has no stamped version but
// knows its module's.
func versionText(v string, bi *debug.BuildInfo) string {
	if bi == nil {
		return fmt.Sprintf("flowrun %s\n", v)
	}
	if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	var b strings.Builder
	fmt.Fprintf(&b, "flowrun %s\n", v)
	set := map[string]string{}
	for _, s := range bi.Settings {
		set[s.Key] = s.Value
	}
	platform := ""
	if set["GOOS"] != "" {
		platform = " " + set["GOOS"] + "/" + set["GOARCH"]
	}
	fmt.Fprintf(&b, "go:     %s%s\n", bi.GoVersion, platform)
	if rev := set["vcs.revision"]; rev != "" {
		line := set["vcs"] + " " + rev
		if set["vcs.modified"] == "true" {
			line += " (modified)"
		}
		if t := set["vcs.time"]; t != "" {
			line += ", " + t
		}
		fmt.Fprintf(&b, "commit: %s\n", strings.TrimSpace(line))
	}
	return b.String()
}
