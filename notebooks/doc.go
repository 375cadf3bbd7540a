// Package notebooks holds the GoNB notebooks that reproduce the study cell by
// cell (the *.ipynb files in this folder; see README.md) and the test that
// executes every one of them with a real Jupyter kernel.
//
// The test runs only when DEBIASER_NOTEBOOKS=1 (CI sets it after
// .ci/install-notebooks.sh). It executes each notebook with
// `jupyter nbconvert --execute` in the quick profile, then parses the
// executed notebook and fails on any error output (a panic, `exit status N`,
// a GoNB or compile error) and on any cell whose declared outputs are missing.
// A code cell declares the outputs it must produce on its first line:
//
//	// expect: image/png text/html
//
// Kinds are MIME types of display data (image/png, text/html, text/markdown,
// image/svg+xml, text/plain) or "stdout" for printed text.
//
// Notebooks compile each cell in a scratch module that requires this module,
// so the packages they import must be pinned by this module's go.mod: the
// blank imports below keep GoNB's display library (gonbui, the same version as
// the kernel in .ci/notebook-tools) and gonum/plot there.
package notebooks

import (
	_ "github.com/janpfeifer/gonb/gonbui"
	_ "gonum.org/v1/plot"
)
