package flows

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxEnvFile bounds an env file: it holds settings, not data.
const maxEnvFile = 1 << 20

// readRegular reads the regular file at path, of at most limit bytes:
// never a FIFO, a device, a socket or a folder, whose reading could block
// or never end. what names the kind of file and limitName the --limit
// that raises the bound. The file is read through a limited reader, so a
// file that grows after it was measured is still bounded; nothing of its
// content is in the error.
func readRegular(path, what, limitName string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, not a regular file; %s must be a regular file", path, fileKind(st.Mode()), what)
	}
	if st.Size() > limit {
		return nil, tooLarge(path, "is "+FormatSize(st.Size()), what, limitName, limit)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(path, "grew past "+FormatSize(limit)+" while it was read", what, limitName, limit)
	}
	return data, nil
}

// tooLarge says a file is over its limit; limitName, if any, is the
// --limit that raises it.
func tooLarge(path, size, what, limitName string, limit int64) error {
	raise := ""
	if limitName != "" {
		raise = fmt.Sprintf(" (--limit %s=SIZE raises it)", limitName)
	}
	return fmt.Errorf("%s %s; %s may be at most %s%s", path, size, what, FormatSize(limit), raise)
}

// fileKind names what a file that is not regular is.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

// notASpec reports a file none of whose top-level keys is one of o's:
// some other file, such as a system file named by mistake. Its keys are
// not echoed, as they would be as unknown keys: they may be its content.
func notASpec(file string, root *yaml.Node, o *Object, what string) error {
	root = resolve(root)
	if root.Kind != yaml.MappingNode || len(root.Content) == 0 {
		return nil // reported as not a mapping, or as lacking its keys
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if _, ok := o.Key(root.Content[i].Value); ok {
			return nil
		}
	}
	return Errorf(posOf(file, root), "this file is not %s: none of its top-level keys is one of %s", what, strings.Join(o.Names(), ", "))
}
