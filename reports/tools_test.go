package reports_test

import (
	"os"
	"os/exec"
	"testing"
)

// requireTool returns the path of the program name. When it is missing
// the test is skipped, or fails when CI is set, so CI never passes
// without running every test.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	how := "install the Debian package that provides it (apt-file search bin/" + name + ")"
	if pkg := debianPackage(name); pkg != "" {
		how = "install the Debian package " + pkg + " (apt-get install " + pkg + ")"
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found: %v; CI must run this test: %s", name, err, how)
	}
	t.Skipf("%s not found: %v; %s to run this test", name, err, how)
	return ""
}

// debianPackage names the Debian package that provides a tool the tests
// run, or "" when it is not known here.
func debianPackage(name string) string {
	switch name {
	case "xmllint":
		return "libxml2-utils"
	}
	return ""
}
