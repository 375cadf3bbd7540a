package runlog

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/debiaser/debiaser/toolkit/config"
)

const childEnv = "RUNLOG_ATOMIC_CHILD_PATH"

// TestAtomicWriteChild is the child process of TestAtomicWriteSurvivesKill:
// it logs epochs of a large run forever, printing each finished epoch.
func TestAtomicWriteChild(t *testing.T) {
	path := os.Getenv(childEnv)
	if path == "" {
		t.Skip("child process of TestAtomicWriteSurvivesKill")
	}
	l, err := New("killed run", config.Defaults(), []string{"a", "b", "c", "d"}, nil, nil, start)
	if err != nil {
		t.Fatal(err)
	}
	const n = 4000 // labels per split and epoch, so that each write takes a while
	yTrue, yPred := make([]int, n), make([]int, n)
	for e := 0; ; e++ {
		for i := range yTrue {
			yTrue[i] = i % 4
			yPred[i] = (i*7 + e) % 4
		}
		rec := EpochRecord{TrainLoss: 1 / float64(e+1), ValidLoss: 2 / float64(e+1),
			TrainTrue: yTrue, TrainPred: yPred, ValidTrue: yTrue, ValidPred: yPred}
		if err := l.AddEpoch(rec); err != nil {
			t.Fatal(err)
		}
		if err := Write(path, l); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("wrote epoch %d\n", e)
	}
}

func TestAtomicWriteSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "run.json")
	cmd := exec.Command(os.Args[0], "-test.run=^TestAtomicWriteChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	// While the child writes, every read of the log must succeed.
	stop := make(chan struct{})
	readErr := make(chan error, 1)
	reads := make(chan int, 1)
	go func() {
		ok := 0
		for {
			select {
			case <-stop:
				reads <- ok
				readErr <- nil
				return
			default:
			}
			if _, err := Read(path); err == nil {
				ok++
			} else if !errors.Is(err, fs.ErrNotExist) {
				reads <- ok
				readErr <- err
				return
			}
		}
	}()

	confirmed := -1
	sc := bufio.NewScanner(out)
	for sc.Scan() && confirmed < 12 {
		if e, ok := strings.CutPrefix(sc.Text(), "wrote epoch "); ok {
			confirmed, _ = strconv.Atoi(e)
		}
	}
	if confirmed < 12 {
		t.Fatalf("child stopped after epoch %d: %v", confirmed, sc.Err())
	}
	time.Sleep(7 * time.Millisecond) // land inside a later write, most likely
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	close(stop)
	n := <-reads
	if err := <-readErr; err != nil {
		t.Fatalf("a read during the run failed after %d good reads: %v", n, err)
	}

	l, err := Read(path)
	if err != nil {
		t.Fatalf("log after kill: %v", err)
	}
	if l.Epochs() <= confirmed {
		t.Errorf("log has %d epochs, the child had finished %d", l.Epochs(), confirmed+1)
	}
	for e := range l.Epochs() {
		if len(l.Y.Valid.Pred[strconv.Itoa(e)]) != 4000 {
			t.Errorf("epoch %d: %d valid predictions", e, len(l.Y.Valid.Pred[strconv.Itoa(e)]))
		}
	}
	info, _ := os.Stat(path)
	t.Logf("killed after epoch %d confirmed; log has %d epochs (%d bytes); %d good reads while running",
		confirmed, l.Epochs(), info.Size(), n)
}
