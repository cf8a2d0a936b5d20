package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/flowrun/flowrun/reports"
	"github.com/flowrun/flowrun/runner"
)

// reportFiles are the report files a run writes, by format.
type reportFiles struct {
	junit, ctrf, json, html string
	junitPerStep            bool
}

func (r *reportFiles) flags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&r.junit, "report-junit", "", "write a JUnit XML report to `FILE`")
	fl.StringVar(&r.ctrf, "report-ctrf", "", "write a CTRF JSON report to `FILE`")
	fl.StringVar(&r.json, "report-json", "", "write flowrun's full JSON result to `FILE`")
	fl.StringVar(&r.html, "report-html", "", "write a self-contained HTML report to `FILE`")
	fl.BoolVar(&r.junitPerStep, "junit-per-step", false, "one JUnit test case per step instead of per flow")
}

type reportFile struct {
	flag, path string
	write      func(io.Writer, *runner.Result, reports.Options) error
}

func (r *reportFiles) list() []reportFile {
	return []reportFile{
		{"--report-junit", r.junit, reports.JUnit},
		{"--report-ctrf", r.ctrf, reports.CTRF},
		{"--report-json", r.json, reports.JSON},
		{"--report-html", r.html, reports.HTML},
	}
}

// check fails early, before anything runs, when a report could not be
// written: a run should not end in a report lost to a typo in a folder name.
func (r *reportFiles) check() error {
	for _, f := range r.list() {
		if f.path == "" {
			continue
		}
		dir := filepath.Dir(f.path)
		st, err := os.Stat(dir)
		switch {
		case err != nil:
			return fmt.Errorf("%s %s: the folder %s does not exist", f.flag, f.path, dir)
		case !st.IsDir():
			return fmt.Errorf("%s %s: %s is not a folder", f.flag, f.path, dir)
		}
		if st, err := os.Stat(f.path); err == nil && st.IsDir() {
			return fmt.Errorf("%s %s: that is a folder; name a file", f.flag, f.path)
		}
	}
	return nil
}

// write writes every report asked for, each whole or not at all.
func (r *reportFiles) write(res *runner.Result, opts reports.Options) error {
	var errs []error
	for _, f := range r.list() {
		if f.path == "" {
			continue
		}
		if err := writeAtomic(f.path, func(w io.Writer) error { return f.write(w, res, opts) }); err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", f.flag, f.path, err))
		}
	}
	return errors.Join(errs...)
}

// writeAtomic writes a file through a temporary file in the same folder
// and renames it into place, so a reader never sees half a report.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
