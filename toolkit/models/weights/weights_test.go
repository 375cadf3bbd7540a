package weights

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestFloat16ToFloat32(t *testing.T) {
	tests := []struct {
		bits uint16
		want float64
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xc000, -2}, {0x3555, 0.333251953125},
		{0x7bff, 65504}, {0x0400, math.Ldexp(1, -14)},
		{0x0001, math.Ldexp(1, -24)}, {0x03ff, 1023 * math.Ldexp(1, -24)}, {0x8001, -math.Ldexp(1, -24)},
		{0x7c00, math.Inf(1)}, {0xfc00, math.Inf(-1)},
	}
	for _, tt := range tests {
		if got := float64(float16ToFloat32(tt.bits)); got != tt.want {
			t.Errorf("float16ToFloat32(%#04x) = %g, want %g", tt.bits, got, tt.want)
		}
	}
	if !math.IsNaN(float64(float16ToFloat32(0x7e00))) {
		t.Error("0x7e00 should be NaN")
	}
}

// rawSafetensors builds a safetensors file from a JSON header and data.
func rawSafetensors(header string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), data...)
}

func writeFile(t *testing.T, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadSafetensorsDTypes(t *testing.T) {
	var data []byte
	data = binary.LittleEndian.AppendUint32(data, math.Float32bits(1.5)) // f32 [2]
	data = binary.LittleEndian.AppendUint32(data, math.Float32bits(-2))
	data = binary.LittleEndian.AppendUint16(data, 0x3c00) // f16 [2]: 1, 2^-24
	data = binary.LittleEndian.AppendUint16(data, 0x0001)
	data = binary.LittleEndian.AppendUint16(data, 0x3f80) // bf16 [1]: 1
	data = binary.LittleEndian.AppendUint64(data, 7)      // i64 scalar
	header := `{"__metadata__":{"format":"pt"},` +
		`"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},` +
		`"b":{"dtype":"F16","shape":[1,2],"data_offsets":[8,12]},` +
		`"c":{"dtype":"BF16","shape":[1],"data_offsets":[12,14]},` +
		`"bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[14,22]}}`
	sd, err := Read(writeFile(t, "x.safetensors", rawSafetensors(header, data)))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]float32{"a": {1.5, -2}, "b": {1, float32(math.Ldexp(1, -24))}, "c": {1}}
	for k, v := range want {
		if got := sd.Tensors[k]; got == nil || !slices.Equal(got.Data, v) {
			t.Errorf("%s = %+v, want %v", k, got, v)
		}
	}
	if !slices.Equal(sd.Tensors["b"].Shape, []int{1, 2}) {
		t.Errorf("shape of b = %v", sd.Tensors["b"].Shape)
	}
	if !slices.Equal(sd.Skipped, []string{"bn.num_batches_tracked"}) {
		t.Errorf("Skipped = %v", sd.Skipped)
	}
}

func TestReadSafetensorsErrors(t *testing.T) {
	f32 := make([]byte, 8)
	tests := []struct {
		name    string
		content []byte
		want    string
	}{
		{"empty", nil, "empty"},
		{"short", []byte{1, 2, 3}, "truncated"},
		{"header longer than file", rawSafetensors(`{"a":1}`, nil)[:10], "truncated"},
		{"bad json", rawSafetensors(`{"a":`, nil), "not valid JSON"},
		{"offsets past data", rawSafetensors(`{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, f32),
			`tensor "w": data offsets [0, 16) outside the 8 data bytes`},
		{"shape vs size", rawSafetensors(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, f32),
			`tensor "w": shape [3] needs 3 values, file has 2`},
		{"dtype", rawSafetensors(`{"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`, f32),
			`unsupported dtype "F64"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(writeFile(t, "bad.safetensors", tt.content))
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "bad.safetensors") {
				t.Fatalf("error %v, want it to name the file and contain %q", err, tt.want)
			}
		})
	}
}

// TestReadPthMatchesSafetensors reads the same float16 state dict saved by
// torch.save (zip) and as safetensors (gen_fixtures.py): every tensor must
// be identical, subnormal float16 values included.
func TestReadPthMatchesSafetensors(t *testing.T) {
	pth, err := Read("../testdata/resnet18.weights.pth")
	if err != nil {
		t.Fatal(err)
	}
	st, err := Read("../testdata/resnet18.weights.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pth.Keys(), st.Keys()) {
		t.Fatalf("keys differ:\n pth %v\n st %v", pth.Keys(), st.Keys())
	}
	for _, k := range st.Keys() {
		a, b := pth.Tensors[k], st.Tensors[k]
		if !slices.Equal(a.Shape, b.Shape) || !slices.Equal(a.Data, b.Data) {
			t.Errorf("%s differs between .pth and .safetensors", k)
		}
	}
}

func TestContiguous(t *testing.T) {
	// A 2x3 tensor stored transposed (strides [1, 2]) at offset 1.
	storage := []float32{-1, 0, 3, 1, 4, 2, 5}
	got, err := contiguous(storage, []int{2, 3}, []int{1, 2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{0, 1, 2, 3, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("contiguous = %v, want %v", got, want)
	}
	if _, err := contiguous(storage, []int{2, 4}, []int{1, 2}, 1); err == nil {
		t.Error("out-of-range view: no error")
	}
}

func sha(content []byte) string {
	s := sha256.Sum256(content)
	return hex.EncodeToString(s[:])
}

func TestFetch(t *testing.T) {
	t.Setenv("DEBIASER_OFFLINE", "")
	content := []byte("pretend weights")
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		if r.URL.Path != "/models/w-1234.pth" {
			http.NotFound(w, r)
			return
		}
		w.Write(content)
	}))
	defer srv.Close()
	good := Descriptor{Model: "m", URL: srv.URL + "/models/w-1234.pth", SHA256: sha(content)[:8]}

	t.Run("download then cache", func(t *testing.T) {
		dir := t.TempDir()
		requests = 0
		for range 2 {
			path, err := Fetch(good, FetchOptions{CacheDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if path != filepath.Join(dir, "w-1234.pth") {
				t.Errorf("path %s", path)
			}
		}
		if requests != 1 {
			t.Errorf("%d requests, want 1 (second call from cache)", requests)
		}
	})
	t.Run("bad checksum on download", func(t *testing.T) {
		dir := t.TempDir()
		bad := good
		bad.SHA256 = "00000000"
		_, err := Fetch(bad, FetchOptions{CacheDir: dir})
		if err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
			t.Fatalf("error %v, want checksum mismatch", err)
		}
		if left, _ := os.ReadDir(dir); len(left) != 0 {
			t.Errorf("files left in cache: %v", left)
		}
	})
	t.Run("corrupt cached file", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "w-1234.pth"), []byte("other"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Fetch(good, FetchOptions{CacheDir: dir})
		if err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
			t.Fatalf("error %v, want checksum mismatch", err)
		}
	})
	t.Run("http error", func(t *testing.T) {
		missing := good
		missing.URL = srv.URL + "/models/none.pth"
		_, err := Fetch(missing, FetchOptions{CacheDir: t.TempDir()})
		if !errors.Is(err, ErrOffline) || !strings.Contains(err.Error(), "404") {
			t.Fatalf("error %v, want ErrOffline with the HTTP status", err)
		}
	})
	t.Run("offline", func(t *testing.T) {
		requests = 0
		dir := t.TempDir()
		_, err := Fetch(good, FetchOptions{CacheDir: dir, Offline: true})
		if !errors.Is(err, ErrOffline) || !strings.Contains(err.Error(), good.URL) || !strings.Contains(err.Error(), dir) {
			t.Fatalf("error %v, want ErrOffline naming the URL and cache dir", err)
		}
		t.Setenv("DEBIASER_OFFLINE", "1")
		if _, err := Fetch(good, FetchOptions{CacheDir: dir}); !errors.Is(err, ErrOffline) {
			t.Fatalf("DEBIASER_OFFLINE=1: error %v, want ErrOffline", err)
		}
		if requests != 0 {
			t.Errorf("offline fetch made %d requests", requests)
		}
	})
}

func TestImageNetDescriptors(t *testing.T) {
	for name, d := range ImageNet {
		if d.Model != name || !strings.HasPrefix(d.URL, "https://download.pytorch.org/models/") ||
			!strings.Contains(d.FileName(), "-"+d.SHA256+".pth") || d.InputSize != 224 || d.Mean != ImageNetMean {
			t.Errorf("descriptor %s: %+v", name, d)
		}
	}
}
