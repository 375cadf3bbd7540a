package datasets

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cifarBatch returns records in CIFAR-10's binary format: record i has
// label labels[i] and pixel (x, y) = (R, G, B) = (i+x, y, 200+i).
func cifarBatch(labels ...byte) []byte {
	var b []byte
	for i, y := range labels {
		b = append(b, y)
		for ch := range 3 {
			for py := range 32 {
				for px := range 32 {
					b = append(b, []byte{byte(i + px), byte(py), byte(200 + i)}[ch])
				}
			}
		}
	}
	return b
}

func TestReadCIFAR10(t *testing.T) {
	images, labels, err := ReadCIFAR10(bytes.NewReader(cifarBatch(3, 0, 9)))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(labels, []int{3, 0, 9}) || len(images) != 3 {
		t.Fatalf("labels %v, %d images", labels, len(images))
	}
	for i, img := range images {
		for _, p := range [][2]int{{0, 0}, {31, 0}, {5, 17}, {31, 31}} {
			c := img.NRGBAAt(p[0], p[1])
			want := [4]uint8{uint8(i + p[0]), uint8(p[1]), uint8(200 + i), 255}
			if [4]uint8{c.R, c.G, c.B, c.A} != want {
				t.Errorf("image %d at %v = %v, want %v", i, p, c, want)
			}
		}
	}
	tests := []struct {
		data []byte
		want string
	}{
		{cifarBatch(1)[:100], "cifar-10: record 0 truncated (records are 3073 bytes)"},
		{cifarBatch(1, 10), "cifar-10: record 1 has label 10, want 0..9"},
	}
	for _, tt := range tests {
		if _, _, err := ReadCIFAR10(bytes.NewReader(tt.data)); err == nil || err.Error() != tt.want {
			t.Errorf("error %v, want %q", err, tt.want)
		}
	}
}

func TestLoadCIFAR10AndWriteFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cifar-10-batches-bin")
	os.MkdirAll(dir, 0o755)
	files := map[string][]byte{
		"data_batch_1.bin": cifarBatch(0, 1), "data_batch_2.bin": cifarBatch(2),
		"data_batch_3.bin": cifarBatch(), "data_batch_4.bin": cifarBatch(9),
		"data_batch_5.bin": cifarBatch(1), "test_batch.bin": cifarBatch(8, 8),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	train, test, err := LoadCIFAR10(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	checkDataset(t, train, 32, 32)
	if !slices.Equal(train.Labels, []int{0, 1, 2, 9, 1}) || !slices.Equal(test.Labels, []int{8, 8}) {
		t.Errorf("train labels %v, test labels %v", train.Labels, test.Labels)
	}
	if train.Sources[3] != "cifar10/train/3" {
		t.Errorf("source %q", train.Sources[3])
	}

	out := filepath.Join(t.TempDir(), "train")
	if err := WriteImageFolder(train, out); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(out, "truck", "000003.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if r, g, b, _ := img.At(5, 17).RGBA(); r>>8 != 5 || g>>8 != 17 || b>>8 != 200 {
		t.Errorf("written pixel (5,17) = %d %d %d", r>>8, g>>8, b>>8)
	}
	if err := WriteImageFolder(train, out); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second write into the same folder: %v", err)
	}

	os.Remove(filepath.Join(dir, "data_batch_4.bin"))
	if _, _, err := LoadCIFAR10(dir); err == nil || !strings.Contains(err.Error(), "data_batch_4.bin") {
		t.Errorf("missing batch: %v", err)
	}
}

// TestCIFAR10Folders runs the whole CIFAR-10 chain offline: a fake
// archive in the binary release's layout, served on 127.0.0.1, fetched,
// unpacked, read and written as image folders.
func TestCIFAR10Folders(t *testing.T) {
	entries := [][2]string{{"cifar-10-batches-bin/", ""}}
	for i, name := range []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"} {
		entries = append(entries, [2]string{"cifar-10-batches-bin/" + name, string(cifarBatch(byte(i), byte(i+5)))})
	}
	entries = append(entries, [2]string{"cifar-10-batches-bin/test_batch.bin", string(cifarBatch(0, 1, 2, 3, 4, 5, 6, 7, 8, 9))})
	archive := tarGz(t, entries)
	srv := newFileServer(t, archive, false, 0)
	real := Remotes["cifar10"]
	Remotes["cifar10"] = Remote{URL: srv.URL + "/data", File: real.File, Size: int64(len(archive)), Checksum: md5Of(archive), Root: real.Root}
	t.Cleanup(func() { Remotes["cifar10"] = real })

	cache := t.TempDir()
	for range 2 {
		trainDir, testDir, err := CIFAR10Folders(context.Background(), srv.Client(), cache)
		if err != nil {
			t.Fatal(err)
		}
		for dir, want := range map[string]int{trainDir: 10, testDir: 10} {
			n := 0
			for _, class := range CIFAR10Classes {
				entries, _ := os.ReadDir(filepath.Join(dir, class))
				n += len(entries)
			}
			if n != want {
				t.Errorf("%s: %d images, want %d", dir, n, want)
			}
		}
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}
