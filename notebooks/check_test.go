package notebooks

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// notebook is the part of the nbformat 4 JSON the checks read.
type notebook struct {
	Cells    []cell `json:"cells"`
	Metadata struct {
		Kernelspec struct {
			Name string `json:"name"`
		} `json:"kernelspec"`
	} `json:"metadata"`
}

type cell struct {
	CellType string    `json:"cell_type"`
	Source   multiline `json:"source"`
	Outputs  []output  `json:"outputs"`
}

type output struct {
	OutputType string                     `json:"output_type"` // stream, display_data, execute_result, error
	Name       string                     `json:"name"`        // stream: stdout or stderr
	Text       multiline                  `json:"text"`        // stream
	Data       map[string]json.RawMessage `json:"data"`        // display_data, execute_result: MIME type -> content
	Ename      string                     `json:"ename"`       // error
	Evalue     string                     `json:"evalue"`
}

// multiline is nbformat's text: a string or a list of lines.
type multiline string

func (m *multiline) UnmarshalJSON(b []byte) error {
	var lines []string
	if err := json.Unmarshal(b, &lines); err == nil {
		*m = multiline(strings.Join(lines, ""))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*m = multiline(s)
	return nil
}

func readNotebook(path string) (*notebook, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var nb notebook
	if err := json.Unmarshal(data, &nb); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &nb, nil
}

// problem is one thing wrong with an executed notebook. Cell counts code
// cells from 1, as Jupyter's "In [n]" does for a run from the top.
type problem struct {
	Cell int
	Msg  string
}

func (p problem) String() string { return fmt.Sprintf("code cell %d: %s", p.Cell, p.Msg) }

// failureMarkers are the texts that mean a cell failed although nbconvert
// carried on: a panic or runtime fatal error, a non-zero exit of the cell's
// program or of a `!command` (GoNB prints "exit status N"), a kill, and
// GoNB's own errors.
var failureMarkers = []string{"panic:", "fatal error:", "exit status ", "signal: ", "GoNB Error", "failed to run"}

// expectKinds are the output kinds a cell may declare with "// expect:".
var expectKinds = []string{"stdout", "text/plain", "text/html", "text/markdown", "image/png", "image/jpeg", "image/svg+xml"}

// expectations returns the output kinds a code cell declares on a line
// "// expect: kind kind ..." (by convention its first line).
func expectations(source string) []string {
	var kinds []string
	for _, line := range strings.Split(source, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "// expect:")
		if !ok {
			continue
		}
		kinds = append(kinds, strings.FieldsFunc(rest, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })...)
	}
	return kinds
}

// checkExecuted returns every failure in an executed notebook: error
// outputs, stderr that reports a failure, and declared outputs that are
// missing.
func checkExecuted(nb *notebook) []problem {
	var probs []problem
	n := 0
	for _, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		n++
		have := map[string]bool{}
		for _, o := range c.Outputs {
			switch o.OutputType {
			case "error":
				probs = append(probs, problem{n, fmt.Sprintf("error output %s: %s", o.Ename, firstLines(o.Evalue, 6))})
			case "stream":
				text := string(o.Text)
				if o.Name == "stdout" && strings.TrimSpace(text) != "" {
					have["stdout"] = true
				}
				if o.Name == "stderr" {
					for _, m := range failureMarkers {
						if strings.Contains(text, m) {
							probs = append(probs, problem{n, fmt.Sprintf("stderr reports a failure (%q): %s", strings.TrimSpace(m), firstLines(text, 6))})
							break
						}
					}
				}
			case "display_data", "execute_result":
				for mime, content := range o.Data {
					if len(content) > len(`""`) {
						have[mime] = true
					}
				}
			}
		}
		for _, kind := range expectations(string(c.Source)) {
			switch {
			case !slices.Contains(expectKinds, kind):
				probs = append(probs, problem{n, fmt.Sprintf("unknown expected output %q (valid: %s)", kind, strings.Join(expectKinds, ", "))})
			case !have[kind]:
				probs = append(probs, problem{n, fmt.Sprintf("expected output %s is missing", kind)})
			}
		}
	}
	return probs
}

// ansiEscape matches the terminal colour codes GoNB puts in stack traces.
var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// firstLines returns up to n lines of s, joined on one line, without colour codes.
func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(ansiEscape.ReplaceAllString(s, "")), "\n")
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, " | ")
}

func TestCheckExecuted(t *testing.T) {
	// Outputs as GoNB v0.11.1 (--raw_error) writes them, copied from executed notebooks.
	const (
		stdout   = `{"output_type": "stream", "name": "stdout", "text": ["profile quick\n"]}`
		panicked = `{"output_type": "stream", "name": "stderr", "text": ["panic: boom\n", "\n", "goroutine 1 [running]:\n", "exit status 2\n"]}`
		exited   = `{"output_type": "stream", "name": "stderr", "text": ["exit status 1\n"]}`
		logged   = `{"output_type": "stream", "name": "stderr", "text": ["I1126 10:19:49 a harmless log line\n"]}`
		compile  = `{"output_type": "error", "ename": "ERROR", "evalue": "# gonb_3813089f\n./main.go:16:13: undefined: undefinedThing\n", "traceback": []}`
		png      = `{"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0KGgo="}}`
		html     = `{"output_type": "display_data", "metadata": {}, "data": {"text/html": ["<table></table>"]}}`
	)
	codeCell := func(source string, outputs ...string) string {
		src, _ := json.Marshal(source)
		return fmt.Sprintf(`{"cell_type": "code", "source": %s, "outputs": [%s]}`, src, strings.Join(outputs, ","))
	}
	tests := []struct {
		name  string
		cells []string
		want  []string // one substring per expected problem, in order
	}{
		{"clean", []string{
			`{"cell_type": "markdown", "source": ["# title"]}`,
			codeCell("// expect: stdout\nfmt.Println(1)", stdout, logged),
			codeCell("// expect: image/png, text/html\n%%", png, html),
			codeCell("%%"),
		}, nil},
		{"panic", []string{codeCell("%%\npanic(1)", panicked)}, []string{`code cell 1: stderr reports a failure ("panic:")`}},
		{"exit status", []string{codeCell("!false", exited)}, []string{`("exit status")`}},
		{"compile error", []string{codeCell("%%", stdout), codeCell("%%", compile)}, []string{"code cell 2: error output ERROR: # gonb_3813089f | ./main.go:16:13: undefined"}},
		{"missing image", []string{codeCell("// expect: image/png\n%%", stdout)}, []string{"expected output image/png is missing"}},
		{"stderr is not stdout", []string{codeCell("// expect: stdout\n%%", logged)}, []string{"expected output stdout is missing"}},
		{"unknown kind", []string{codeCell("// expect: png\n%%", png)}, []string{`unknown expected output "png"`}},
		{"several", []string{codeCell("// expect: text/html\n%%", panicked)}, []string{"panic:", "text/html is missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var nb notebook
			if err := json.Unmarshal([]byte(`{"cells": [`+strings.Join(tt.cells, ",")+`]}`), &nb); err != nil {
				t.Fatal(err)
			}
			got := checkExecuted(&nb)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems %v, want %d %q", len(got), got, len(tt.want), tt.want)
			}
			for i, p := range got {
				if !strings.Contains(p.String(), tt.want[i]) {
					t.Errorf("problem %d = %q, want it to contain %q", i, p, tt.want[i])
				}
			}
		})
	}
}
