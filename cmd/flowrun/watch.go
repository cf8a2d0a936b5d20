package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/flowrun/flowrun/flows"
)

// watchDebounce is how long the files must stay quiet before a run: an
// editor's save, or a checkout, is many events.
const watchDebounce = 200 * time.Millisecond

// specFiles returns the files a spec reads, the spec itself first: what
// --watch watches for it. It is the one place to name the files specs
// come to read.
func specFiles(spec *flows.Spec) []string {
	out := []string{spec.File}
	add := func(f string) {
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	// Includes and env files, also those that do not exist yet.
	for _, f := range spec.Deps {
		add(f)
	}
	for _, f := range spec.Flows {
		for _, r := range f.Rows {
			// A row read from a rows_file has its place in that file.
			add(r.Pos.File)
		}
	}
	return out
}

// watcher runs specs again when the files they read change.
type watcher struct {
	a     *app
	f     runFlags
	paths []string // the PATH arguments
	fs    *fsnotify.Watcher
	// files names the files a spec reads (specFiles).
	files    func(*flows.Spec) []string
	debounce time.Duration
	now      func() time.Time
	// specs are the specs found, by their path as flows.Find gives it.
	specs map[string]watchedSpec
	// overflow is set when events were lost: every spec runs again.
	overflow bool
}

// watchedSpec is what a spec reads, as absolute paths.
type watchedSpec struct {
	files []string
	// complete is false for a spec that did not load cleanly: it may read
	// files not listed, such as a rows_file that does not exist yet.
	complete bool
}

// watch runs the specs under paths, then runs again those whose files
// change, until ctx ends. Invalid specs are reported and watched like the
// others. It returns nil when ctx ends while waiting for a change, and an
// exit code 130 when it ends during a run.
func (a *app) watch(ctx context.Context, paths []string, f runFlags) error {
	files, err := flows.Find(paths)
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: %w", err)}
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return &exitError{code: exitUsage, err: fmt.Errorf("flowrun: --watch: %w", err)}
	}
	defer fsw.Close() // waits for fsnotify's goroutine to end
	w := &watcher{a: a, f: f, paths: paths, fs: fsw, files: specFiles, debounce: watchDebounce,
		now: time.Now, specs: map[string]watchedSpec{}}
	for {
		if w.runSpecs(ctx, files) {
			return &exitError{code: exitInterrupted}
		}
		if files, err = w.next(ctx); err != nil || files == nil {
			return err
		}
	}
}

// runSpecs runs files as `flowrun run` would, printing what it would
// have exited with, and reports whether the run was interrupted.
func (w *watcher) runSpecs(ctx context.Context, files []string) bool {
	// Watch first, so a change made during the run is seen.
	w.track(files)
	err := w.a.runPaths(ctx, files, w.f)
	var ee *exitError
	switch {
	case errors.As(err, &ee) && ee.err != nil:
		fmt.Fprintln(w.a.stderr, ee.err)
	case err != nil:
		fmt.Fprintln(w.a.stderr, err)
	}
	if ctx.Err() != nil || (ee != nil && ee.code == exitInterrupted) {
		return true
	}
	fmt.Fprintf(w.a.stdout, "watching %s for changes; Ctrl-C stops\n", plural(len(w.specs), "spec"))
	return false
}

// track loads files to learn what they read, and watches their folders.
func (w *watcher) track(files []string) {
	for _, file := range files {
		spec, err := flows.LoadWith(file, w.a.loadOptions())
		ws := watchedSpec{files: []string{file}, complete: err == nil}
		if spec != nil {
			ws.files = w.files(spec)
		}
		for i, f := range ws.files {
			ws.files[i] = absPath(f)
		}
		w.specs[file] = ws
	}
	w.watchFolders()
}

// watchFolders watches every folder flows.Find searches and every folder
// of a file a spec reads. Folders, not files: editors save by writing a
// new file and renaming it over the old one.
func (w *watcher) watchFolders() {
	dirs := map[string]bool{}
	for _, ws := range w.specs {
		for _, f := range ws.files {
			dirs[filepath.Dir(f)] = true
		}
	}
	for _, p := range w.paths {
		_ = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			if path != p && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir // as flows.Find does
			}
			dirs[absPath(path)] = true
			return nil
		})
	}
	for _, d := range slices.Sorted(maps.Keys(dirs)) {
		// Adding a watched folder again is harmless, and a folder removed
		// and made again must be added again.
		if err := w.fs.Add(d); err != nil && !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(w.a.stderr, "flowrun: --watch: %s: %v\n", d, err)
		}
	}
}

// next waits for changes that concern specs and returns those specs; nil
// when ctx ends first.
func (w *watcher) next(ctx context.Context) ([]string, error) {
	for {
		changed, err := w.wait(ctx)
		if err != nil || changed == nil {
			return nil, err
		}
		w.watchFolders() // a new folder may hold new specs
		found, err := flows.Find(w.paths)
		if err != nil {
			fmt.Fprintln(w.a.stderr, "flowrun:", err)
			continue
		}
		if files := w.affected(found, changed); len(files) > 0 {
			fmt.Fprintf(w.a.stdout, "\n---- %s  running %s: %s ----\n", w.now().Format("15:04:05"),
				plural(len(files), "spec"), strings.Join(files, ", "))
			return files, nil
		}
	}
}

// wait gathers changed paths, with what happened to each, until none has
// come for the debounce time. It returns nil, nil when ctx ends.
func (w *watcher) wait(ctx context.Context) (map[string]fsnotify.Op, error) {
	changed := map[string]fsnotify.Op{}
	quiet := time.NewTimer(time.Hour)
	quiet.Stop()
	defer quiet.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, nil
		case ev, ok := <-w.fs.Events:
			if !ok {
				return nil, &exitError{code: exitUsage, err: errors.New("flowrun: --watch: the file watcher stopped")}
			}
			if ev.Op == fsnotify.Chmod {
				continue // touched, not changed
			}
			changed[absPath(ev.Name)] |= ev.Op
			quiet.Reset(w.debounce)
		case err, ok := <-w.fs.Errors:
			if !ok {
				return nil, &exitError{code: exitUsage, err: errors.New("flowrun: --watch: the file watcher stopped")}
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				w.overflow = true
				quiet.Reset(w.debounce)
				continue
			}
			fmt.Fprintf(w.a.stderr, "flowrun: --watch: %v\n", err)
		case <-quiet.C:
			return changed, nil
		}
	}
}

// affected returns the specs among found that changed paths concern: a
// spec one of whose files changed, a new spec, and a spec that did not
// load cleanly when a file appears in its folder (it may be the rows file
// it missed; a file written to, such as a log, is not). Specs no longer
// found are forgotten.
func (w *watcher) affected(found []string, changed map[string]fsnotify.Op) []string {
	var out []string
	for _, file := range found {
		ws, known := w.specs[file]
		if !known || w.overflow || slices.ContainsFunc(ws.files, func(f string) bool { return changed[f] != 0 }) ||
			!ws.complete && createdIn(changed, filepath.Dir(ws.files[0])) {
			out = append(out, file)
		}
	}
	w.overflow = false
	for file := range w.specs {
		if !slices.Contains(found, file) {
			delete(w.specs, file)
		}
	}
	return out
}

// createdIn reports whether a path was created, or renamed into place,
// in the folder dir.
func createdIn(changed map[string]fsnotify.Op, dir string) bool {
	for p, op := range changed {
		if op.Has(fsnotify.Create) && filepath.Dir(p) == dir {
			return true
		}
	}
	return false
}

// absPath returns path made absolute and clean, as events are matched
// against files; it returns path cleaned if the working folder is unknown.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return filepath.Clean(path)
}
