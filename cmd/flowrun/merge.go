package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/flowrun/flowrun/reports"
)

// maxMergeInput bounds each report merge reads: a run's report is a few
// megabytes, a long one with every body a few hundred.
const maxMergeInput = 256 << 20

func newMergeCmd(a *app) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge [-o FILE] REPORT...",
		Short: "Merge the reports of a run split across machines (--shard) into one",
		Long: `merge reads the reports that the shards of one run wrote (flowrun --shard K/N) and
writes the report the whole run would have written: specs in the order of their paths,
flows in the order they are written, counts, outcome, start and duration recomputed.

The format is found from the content: JUnit XML (--report-junit), CTRF (--report-ctrf)
or flowrun's JSON result (--report-json). Every REPORT must be of one format, and the
merged report is of that format, written to FILE or, without -o, to stdout. A spec whose
flows ran on several shards is one spec again; a flow found in two reports is an error,
since shards never share a flow. The merged report keeps the first report's tool
version, host name and base URLs (each shard's sandbox has a port of its own); a JUnit
suite's time is as exact as the seconds of its shards' timestamps. See docs/ci.md.

merge exits 0 when it wrote the report, whatever the flows' outcome (each shard's exit
code says that), and 2, writing nothing, when a REPORT is missing, not a regular file,
larger than 256 MiB, of no known or of another format, shares a flow with another, or
(flowrun's JSON says its shard) is of another split or the same shard as another.`,
		Example: `  flowrun merge -o junit.xml shards/junit-*.xml
  flowrun merge -o ctrf.json shards/ctrf-*.json
  flowrun merge shards/result-*.json > result.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.merge(args, out)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the merged report to `FILE` instead of stdout")
	return cmd
}

func (a *app) merge(paths []string, out string) error {
	usage := func(err error) error { return &exitError{code: exitUsage, err: fmt.Errorf("flowrun merge: %w", err)} }
	if out != "" {
		if err := checkOutput(out); err != nil {
			return usage(err)
		}
	}
	rs := make([]reports.Report, 0, len(paths))
	for _, p := range paths {
		data, err := readReport(p)
		if err != nil {
			return usage(err)
		}
		rs = append(rs, reports.Report{Name: p, Data: data})
	}
	var err error
	if out == "" {
		err = reports.Merge(a.stdout, rs)
	} else {
		err = writeAtomic(out, func(w io.Writer) error { return reports.Merge(w, rs) })
	}
	if err != nil {
		return usage(err)
	}
	return nil
}

// checkOutput fails early when the merged report could not be written.
func checkOutput(path string) error {
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("-o %s: the folder %s does not exist", path, dir)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("-o %s: that is a folder; name a file", path)
	}
	return nil
}

// readReport reads a report file: a regular file of at most maxMergeInput bytes.
func readReport(path string) ([]byte, error) {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("%s: no such file", path)
	case err != nil:
		return nil, err
	case st.IsDir():
		return nil, fmt.Errorf("%s: a folder; name the report files in it", path)
	case !st.Mode().IsRegular():
		return nil, fmt.Errorf("%s: not a regular file", path)
	case st.Size() > maxMergeInput:
		return nil, tooLarge(path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// The file may grow after Stat: read no more than the limit allows.
	data, err := io.ReadAll(io.LimitReader(f, maxMergeInput+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxMergeInput {
		return nil, tooLarge(path)
	}
	return data, nil
}

func tooLarge(path string) error {
	return fmt.Errorf("%s: larger than %d MiB, more than a report holds", path, maxMergeInput>>20)
}
