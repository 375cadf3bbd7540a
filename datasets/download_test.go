package datasets

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fileServer serves body at /data with Range support (http.ServeContent)
// on 127.0.0.1, recording each request's Range header. With cutAt > 0 its
// first response stops after cutAt bytes and drops the connection.
type fileServer struct {
	*httptest.Server
	mu     sync.Mutex
	ranges []string
}

func newFileServer(t *testing.T, body []byte, ignoreRange bool, cutAt int) *fileServer {
	fs := &fileServer{}
	first := true
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.mu.Lock()
		fs.ranges = append(fs.ranges, r.Header.Get("Range"))
		cut := first && cutAt > 0
		first = false
		fs.mu.Unlock()
		if r.URL.Path != "/data" {
			http.NotFound(w, r)
			return
		}
		if cut {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body[:cutAt])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
		if ignoreRange {
			w.Write(body)
			return
		}
		http.ServeContent(w, r, "data", time.Time{}, bytes.NewReader(body))
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *fileServer) requests() []string {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return append([]string(nil), fs.ranges...)
}

func randomBytes(n int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.IntN(256))
	}
	return b
}

func md5Of(b []byte) string {
	s := md5.Sum(b)
	return "md5:" + hex.EncodeToString(s[:])
}

func TestDownload(t *testing.T) {
	body := randomBytes(100_000)
	ctx := context.Background()
	tests := []struct {
		name        string
		ignoreRange bool
		partial     []byte // a .part file left by an earlier try
		wantRange   string
	}{
		{"fresh", false, nil, ""},
		{"resume", false, body[:30_000], "bytes=30000-"},
		{"server ignores range", true, []byte("stale bytes"), "bytes=11-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFileServer(t, body, tt.ignoreRange, 0)
			dir := t.TempDir()
			r := Remote{URL: srv.URL + "/data", File: "a.bin", Size: int64(len(body)), Checksum: md5Of(body)}
			if tt.partial != nil {
				os.WriteFile(filepath.Join(dir, "a.bin.part"), tt.partial, 0o644)
			}
			path, err := Download(ctx, srv.Client(), r, dir)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(path); !bytes.Equal(got, body) {
				t.Fatalf("downloaded %d bytes, not the body", len(got))
			}
			if reqs := srv.requests(); len(reqs) != 1 || reqs[0] != tt.wantRange {
				t.Errorf("requests with Range %q, want one with %q", reqs, tt.wantRange)
			}
			if _, err := os.Stat(path + ".part"); !os.IsNotExist(err) {
				t.Error(".part file left behind")
			}
			// Cached: no new request.
			if _, err := Download(ctx, srv.Client(), r, dir); err != nil || len(srv.requests()) != 1 {
				t.Errorf("second call: %v, %d requests", err, len(srv.requests()))
			}
		})
	}
}

func TestDownloadInterruptedThenResumed(t *testing.T) {
	body := randomBytes(200_000)
	srv := newFileServer(t, body, false, 50_000)
	dir := t.TempDir()
	r := Remote{URL: srv.URL + "/data", File: "a.bin", Checksum: md5Of(body)}
	if _, err := Download(context.Background(), srv.Client(), r, dir); err == nil || !strings.Contains(err.Error(), "rerun to resume") {
		t.Fatalf("interrupted download: error %v", err)
	}
	st, err := os.Stat(filepath.Join(dir, "a.bin.part"))
	if err != nil || st.Size() != 50_000 {
		t.Fatalf("part file after the cut: %v, %v", st, err)
	}
	path, err := Download(context.Background(), srv.Client(), r, dir)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, body) {
		t.Error("resumed file differs from the body")
	}
	if reqs := srv.requests(); len(reqs) != 2 || reqs[1] != "bytes=50000-" {
		t.Errorf("requests %q", reqs)
	}
}

func TestDownloadErrors(t *testing.T) {
	body := randomBytes(5000)
	srv := newFileServer(t, body, false, 0)
	ctx := context.Background()
	dir := t.TempDir()

	bad := Remote{URL: srv.URL + "/data", File: "bad.bin", Checksum: md5Of([]byte("other"))}
	if _, err := Download(ctx, srv.Client(), bad, dir); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("wrong checksum: %v", err)
	}
	for _, f := range []string{"bad.bin", "bad.bin.part"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s kept after a failed checksum", f)
		}
	}
	short := Remote{URL: srv.URL + "/data", File: "short.bin", Size: 9999}
	if _, err := Download(ctx, srv.Client(), short, dir); err == nil || !strings.Contains(err.Error(), "got 5000 bytes, want 9999") {
		t.Errorf("wrong size: %v", err)
	}
	missing := Remote{URL: srv.URL + "/nothing", File: "m.bin"}
	if _, err := Download(ctx, srv.Client(), missing, dir); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("404: %v", err)
	}

	// No published checksum: the first download pins its SHA-256 and a
	// corrupted cache is caught later.
	unpinned := Remote{URL: srv.URL + "/data", File: "u.bin"}
	path, err := Download(ctx, srv.Client(), unpinned, dir)
	if err != nil {
		t.Fatal(err)
	}
	if pin, err := os.ReadFile(path + ".sha256"); err != nil || len(strings.Fields(string(pin))[0]) != 64 {
		t.Fatalf("pin file: %q, %v", pin, err)
	}
	os.WriteFile(path, []byte("tampered"), 0o644)
	if _, err := Download(ctx, srv.Client(), unpinned, dir); err == nil || !strings.Contains(err.Error(), "cached") {
		t.Errorf("tampered cache: %v", err)
	}
}

// tarGz builds a .tar.gz of name -> content (a trailing "/" makes a folder).
func tarGz(t *testing.T, entries [][2]string) []byte {
	var buf bytes.Buffer
	z := gzip.NewWriter(&buf)
	tw := tar.NewWriter(z)
	for _, e := range entries {
		hdr := &tar.Header{Name: e[0], Mode: 0o644, Size: int64(len(e[1])), Typeflag: tar.TypeReg}
		if strings.HasSuffix(e[0], "/") {
			hdr.Typeflag, hdr.Size, hdr.Mode = tar.TypeDir, 0, 0o755
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(e[1]))
	}
	tw.Close()
	z.Close()
	return buf.Bytes()
}

func TestFetch(t *testing.T) {
	archive := tarGz(t, [][2]string{{"flower_photos/", ""}, {"flower_photos/daisy/1.jpg", "d1"}, {"flower_photos/LICENSE.txt", "cc-by"}})
	srv := newFileServer(t, archive, false, 0)
	Remotes["test"] = Remote{URL: srv.URL + "/data", File: "test.tgz", Checksum: md5Of(archive), Root: "flower_photos"}
	t.Cleanup(func() { delete(Remotes, "test") })
	dir := t.TempDir()
	for range 2 {
		root, err := Fetch(context.Background(), srv.Client(), "test", dir)
		if err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(filepath.Join(root, "daisy", "1.jpg")); err != nil || string(b) != "d1" {
			t.Fatalf("unpacked file: %q, %v", b, err)
		}
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if _, err := Fetch(context.Background(), nil, "imagenet", dir); err == nil || !strings.Contains(err.Error(), "valid: cifar10, test, tf_flowers") {
		t.Errorf("unknown remote: %v", err)
	}
}

func TestExtractTarGzRefusesEscapes(t *testing.T) {
	for _, name := range []string{"../evil.txt", "/abs/evil.txt", "a/../../evil.txt"} {
		p := filepath.Join(t.TempDir(), "x.tgz")
		os.WriteFile(p, tarGz(t, [][2]string{{name, "x"}}), 0o644)
		out := t.TempDir()
		if err := ExtractTarGz(p, out); err == nil || !strings.Contains(err.Error(), "outside") {
			t.Errorf("%s: error %v", name, err)
		}
	}
}
