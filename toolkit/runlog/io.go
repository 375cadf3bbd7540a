package runlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/debiaser/debiaser/toolkit/config"
)

// tempPattern names Write's temporary files; ReadDir skips them.
const tempPattern = ".runlog-tmp-*"

// Write writes l to path atomically: the JSON goes to a temporary file in
// the same directory, is synced to disk and renamed over path, so path
// always holds either the previous log or the new one, never a part.
func Write(path string, l *Log) error {
	data, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("runlog: write %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPattern)
	if err != nil {
		return fmt.Errorf("runlog: write %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("runlog: write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("runlog: write %s: %w", path, err)
	}
	// Sync the directory so the rename itself survives a crash; not every
	// system can sync a directory, and the file is complete either way.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Read loads and validates the log at path. Errors name the file and,
// where they can, the key.
func Read(path string) (*Log, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("runlog: %w", err)
	}
	l, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("runlog: %s: %w", path, err)
	}
	l.Path = path
	return l, nil
}

// Parse decodes and validates one log from its JSON.
func Parse(data []byte) (*Log, error) {
	data = nonFiniteToNull(data)
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, describe(data, err)
	}
	for _, key := range []string{"date", "results", "var_dict"} {
		if _, ok := top[key]; !ok {
			return nil, fmt.Errorf("missing key %q", key)
		}
	}
	l := new(Log)
	if err := json.Unmarshal(data, l); err != nil {
		return nil, describe(data, err)
	}
	if err := l.Validate(); err != nil {
		return nil, err
	}
	return l, nil
}

// UnmarshalJSON decodes a log; var_dict goes through config.Decode in
// lenient mode, starting from a zero Config (keys absent from the log stay
// unset), and unknown var_dict keys land in UnknownVarDictKeys.
func (l *Log) UnmarshalJSON(data []byte) error {
	type plain Log // without this method
	aux := struct {
		*plain
		VarDict json.RawMessage `json:"var_dict"`
	}{plain: (*plain)(l)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	l.VarDict = config.Config{}
	l.UnknownVarDictKeys = nil
	if len(aux.VarDict) > 0 && !bytes.Equal(bytes.TrimSpace(aux.VarDict), []byte("null")) {
		unknown, err := config.Decode(aux.VarDict, &l.VarDict, false)
		if err != nil {
			return fmt.Errorf("var_dict: %w", err)
		}
		l.UnknownVarDictKeys = unknown
	}
	return nil
}

// describe turns a JSON error into a message with the position or key.
func describe(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn) && syn.Offset >= int64(len(bytes.TrimRight(data, " \t\r\n"))):
		return fmt.Errorf("invalid JSON: truncated after %d bytes", len(data))
	case errors.As(err, &syn):
		line := 1 + bytes.Count(data[:min(int(syn.Offset), len(data))], []byte("\n"))
		return fmt.Errorf("invalid JSON at line %d (byte %d): %v", line, syn.Offset, syn)
	case errors.As(err, &typ) && typ.Field == "":
		return fmt.Errorf("want a JSON object, got JSON %s", typ.Value)
	case errors.As(err, &typ):
		return fmt.Errorf("key %q: want %s, got JSON %s", strings.TrimPrefix(typ.Field, "plain."), typ.Type, typ.Value)
	}
	return err
}

// nonFiniteToNull replaces the bare NaN, Infinity and -Infinity tokens
// Python's json module writes with null, leaving strings untouched.
func nonFiniteToNull(data []byte) []byte {
	if !bytes.Contains(data, []byte("NaN")) && !bytes.Contains(data, []byte("Infinity")) {
		return data
	}
	var out bytes.Buffer
	inString, escaped := false, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			out.WriteByte(c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if c == '"' {
			inString = true
		}
		replaced := false
		for _, tok := range []string{"NaN", "-Infinity", "Infinity"} {
			if bytes.HasPrefix(data[i:], []byte(tok)) {
				out.WriteString("null")
				i += len(tok) - 1
				replaced = true
				break
			}
		}
		if !replaced {
			out.WriteByte(c)
		}
	}
	return out.Bytes()
}

// ReadAll reads every log in paths. Logs that fail are left out and their
// errors joined, so one bad file does not hide the rest.
func ReadAll(paths ...string) ([]*Log, error) {
	var logs []*Log
	var errs []error
	for _, p := range paths {
		l, err := Read(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		logs = append(logs, l)
	}
	return logs, errors.Join(errs...)
}

// ReadDir reads every run log under dir, recursively, in path order, as
// ReadAll. It skips Write's temporary files, runs' checkpoint folders
// (*.ckpt) and JSON files that are not run logs (a search's manifest.json):
// a JSON object without "results" or "var_dict". Other JSON files that
// fail to read are errors.
func ReadDir(dir string) ([]*Log, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != dir && strings.HasSuffix(name, ".ckpt") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".json") && !strings.HasPrefix(name, ".runlog-tmp-") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("runlog: %w", err)
	}
	sort.Strings(paths)
	var logs []*Log
	var errs []error
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("runlog: %w", err))
			continue
		}
		if notRunLog(data) {
			continue
		}
		l, err := Parse(data)
		if err != nil {
			errs = append(errs, fmt.Errorf("runlog: %s: %w", p, err))
			continue
		}
		l.Path = p
		logs = append(logs, l)
	}
	return logs, errors.Join(errs...)
}

// notRunLog reports whether data is a JSON object with neither of a run
// log's "results" and "var_dict" keys. Malformed JSON is not ruled out
// here: parsing it reports its error.
func notRunLog(data []byte) bool {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(nonFiniteToNull(data), &top); err != nil {
		return false
	}
	_, results := top["results"]
	_, varDict := top["var_dict"]
	return !results && !varDict
}
