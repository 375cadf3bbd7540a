package notebooks

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// notebookFiles lists the notebooks CI executes: notebooks/*.ipynb, not testdata.
func notebookFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no notebooks/*.ipynb found")
	}
	slices.Sort(files)
	return files
}

var notebookName = regexp.MustCompile(`^\d\d-[a-z0-9-]+\.ipynb$`)

// TestNotebooksAreClean checks, without Jupyter, what every notebook must
// have before it runs: a row in README.md's slide map, the GoNB kernel, a first code cell that imports this
// module and reads the settings, known expectations, and no committed outputs.
func TestNotebooksAreClean(t *testing.T) {
	module := modulePath(t)
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	importLine := fmt.Sprintf(`!*go mod edit -require=%s@v0.0.0-00010101000000-000000000000 -replace=%s="$(realpath "${GONB_DIR}/..")"`, module, module)
	for _, path := range notebookFiles(t) {
		t.Run(path, func(t *testing.T) {
			if !notebookName.MatchString(path) {
				t.Errorf("name %q: want NN-lowercase-words.ipynb", path)
			}
			if name := strings.TrimSuffix(path, ".ipynb"); !strings.Contains(string(readme), "| "+name+" |") {
				t.Errorf("README.md's slide map has no row for %s", name)
			}
			nb, err := readNotebook(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := nb.Metadata.Kernelspec.Name; got != "gonb" {
				t.Errorf("kernelspec name %q, want gonb", got)
			}
			first := true
			n := 0
			for _, c := range nb.Cells {
				if c.CellType != "code" {
					continue
				}
				n++
				src := string(c.Source)
				if first {
					first = false
					if !strings.Contains(src, importLine) {
						t.Errorf("first code cell (settings) lacks the module-import line:\n%s", importLine)
					}
					for _, env := range []string{"DEBIASER_PROFILE", "DEBIASER_DATA"} {
						if !strings.Contains(src, env) {
							t.Errorf("first code cell (settings) does not read %s", env)
						}
					}
				}
				if len(c.Outputs) > 0 {
					t.Errorf("code cell %d has %d committed outputs: clear them (see README.md: jupyter nbconvert --clear-output ... --inplace %s)", n, len(c.Outputs), path)
				}
				if unsyncedDisplay(src) {
					t.Errorf("code cell %d sends output with gonbui directly and no gonbui.Sync() after it: GoNB may drop output that arrives as the cell ends (use plots.Display*, or call gonbui.Sync())", n)
				}
				for _, kind := range expectations(src) {
					if !slices.Contains(expectKinds, kind) {
						t.Errorf("code cell %d: unknown expected output %q (valid: %s)", n, kind, strings.Join(expectKinds, ", "))
					}
				}
			}
			if n == 0 {
				t.Error("no code cells")
			}
		})
	}
}

func modulePath(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	t.Fatal("../go.mod has no module line")
	return ""
}

// directDisplay matches a call that sends output to GoNB's display pipe.
var directDisplay = regexp.MustCompile(`gonbui\.(Display[A-Za-z]*|SendData|UpdateHTML|UpdateMarkdown)\(`)

// unsyncedDisplay reports whether src's last direct gonbui output call has
// no gonbui.Sync() after it. GoNB v0.11.1 closes its end of the display
// pipe when the cell's program exits, so such output can be lost (CI lost
// 00-setup's HTML table once).
func unsyncedDisplay(src string) bool {
	calls := directDisplay.FindAllStringIndex(src, -1)
	if len(calls) == 0 {
		return false
	}
	last := calls[len(calls)-1][1]
	return !strings.Contains(src[last:], "gonbui.Sync()")
}

func TestUnsyncedDisplay(t *testing.T) {
	for _, tc := range []struct {
		src  string
		want bool
	}{
		{"fmt.Println(1)", false},
		{"plots.Display(fig)", false},
		{"gonbui.DisplayHTML(h)", true},
		{"gonbui.DisplayHTML(h)\ngonbui.Sync()", false},
		{"gonbui.Sync()\ngonbui.DisplayPNG(p)", true},
		{"gonbui.DisplayPNG(p)\ngonbui.Sync()\ngonbui.DisplayMarkdown(m)", true},
		{"gonbui.SendData(d)\ngonbui.Sync() // wait", false},
	} {
		if got := unsyncedDisplay(tc.src); got != tc.want {
			t.Errorf("unsyncedDisplay(%q) = %v, want %v", tc.src, got, tc.want)
		}
	}
}
