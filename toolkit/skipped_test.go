package toolkit

import (
	"bytes"
	gocontext "context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/debiaser/debiaser/datasets"
	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/debiaser/debiaser/toolkit/runlog"
)

// A file the loader cannot decode stops the run with an error naming it,
// or, under skip_bad_files, is left out and named in the run's log and
// progress output: of one run and of each of a study's.
func TestSkippedFilesInLog(t *testing.T) {
	root := filepath.Join(t.TempDir(), "shapes")
	ds := datasets.Tiny(1)
	if err := datasets.WriteImageFolder(ds, root); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(root, ds.Classes[1], "broken.png")
	if err := os.WriteFile(bad, []byte("not a PNG"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.TrainPath, cfg.ValidFraction = root, 0.25
	cfg.ModelName, cfg.Pretrained, cfg.Full, cfg.ImageSize, cfg.Epochs, cfg.BatchSize = "small_cnn", false, true, 16, 1, 8
	cfg.Backend = "gofast"

	if _, err := FromConfig(cfg).Run(gocontext.Background()); err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("without skip_bad_files: err = %v, want one naming %s", err, bad)
	}

	cfg.SkipBadFiles = true
	var progress bytes.Buffer
	res, err := FromConfig(cfg).LogDir(t.TempDir()).Verbose(&progress).Run(gocontext.Background())
	if err != nil {
		t.Fatal(err)
	}
	l, err := runlog.Read(res.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	checkSkipped(t, "run", l, bad)
	if !strings.Contains(progress.String(), "left out 1 unreadable file(s)") || !strings.Contains(progress.String(), bad) {
		t.Errorf("progress does not name the skipped file:\n%s", progress.String())
	}
	if got, want := l.Run.TrainCounts[1]+l.Run.ValidCounts[1], datasets.TinyCounts[1]; got != want {
		t.Errorf("class %s: %d images loaded, want the %d good ones", ds.Classes[1], got, want)
	}

	progress.Reset()
	st, err := RunStudy(gocontext.Background(), cfg, StudyOptions{LogDir: t.TempDir(), Methods: []string{"baseline"}, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	checkSkipped(t, "study", st.Rows[0].Log, bad)
	if !strings.Contains(progress.String(), "left out 1 unreadable file(s)") {
		t.Errorf("study progress does not say a file was left out:\n%s", progress.String())
	}
}

func checkSkipped(t *testing.T, what string, l *runlog.Log, bad string) {
	t.Helper()
	if len(l.Run.SkippedFiles) != 1 || !strings.HasPrefix(l.Run.SkippedFiles[0], bad+": ") {
		t.Errorf("%s: log's run.skipped_files = %q, want [%s: reason]", what, l.Run.SkippedFiles, bad)
	}
}
