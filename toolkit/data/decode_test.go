package data

import (
	"errors"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodeFileFormatsBecomeRGB(t *testing.T) {
	dir := t.TempDir()
	red := color.NRGBA{255, 0, 0, 255}
	gray := image.NewGray(image.Rect(0, 0, 4, 4))
	for i := range gray.Pix {
		gray.Pix[i] = 77
	}
	gray16 := image.NewGray16(image.Rect(0, 0, 4, 4))
	for y := range 4 {
		for x := range 4 {
			gray16.SetGray16(x, y, color.Gray16{Y: 0x8040})
		}
	}
	rgb16 := image.NewNRGBA64(image.Rect(0, 0, 4, 4))
	for y := range 4 {
		for x := range 4 {
			rgb16.SetNRGBA64(x, y, color.NRGBA64{0x1234, 0x5678, 0x9abc, 0xffff})
		}
	}
	pal := image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.RGBA{0, 0, 255, 255}, color.RGBA{10, 20, 30, 255}})
	for i := range pal.Pix {
		pal.Pix[i] = 1
	}
	// Half-transparent pixels keep their colour: PIL's convert("RGB")
	// drops alpha rather than compositing.
	alpha := solid(4, 4, color.NRGBA{200, 100, 50, 128})

	tests := []struct {
		name string
		file string
		want [3]uint8
		tol  int
	}{
		{"png rgb", writeFile(t, dir, "rgb.png", encode(t, solid(4, 4, red), "png")), [3]uint8{255, 0, 0}, 0},
		{"png grey", writeFile(t, dir, "grey.png", encode(t, gray, "png")), [3]uint8{77, 77, 77}, 0},
		{"png grey 16-bit", writeFile(t, dir, "grey16.png", encode(t, gray16, "png")), [3]uint8{0x80, 0x80, 0x80}, 0},
		{"png rgb 16-bit", writeFile(t, dir, "rgb16.png", encode(t, rgb16, "png")), [3]uint8{0x12, 0x56, 0x9a}, 0},
		{"png palette", writeFile(t, dir, "pal.png", encode(t, pal, "png")), [3]uint8{10, 20, 30}, 0},
		{"png rgba", writeFile(t, dir, "alpha.png", encode(t, alpha, "png")), [3]uint8{200, 100, 50}, 0},
		{"gif", writeFile(t, dir, "pal.gif", encode(t, pal, "gif")), [3]uint8{10, 20, 30}, 0},
		{"bmp", writeFile(t, dir, "red.bmp", encode(t, solid(4, 4, red), "bmp")), [3]uint8{255, 0, 0}, 0},
		{"jpeg", writeFile(t, dir, "red.jpg", encode(t, solid(8, 8, red), "jpg")), [3]uint8{255, 0, 0}, 3},
		{"jpeg grey", writeFile(t, dir, "grey.jpg", encode(t, gray, "jpg")), [3]uint8{77, 77, 77}, 1},
		{"jpeg cmyk", filepath.Join("testdata", "cmyk.jpg"), [3]uint8{255, 0, 0}, 3},
		{"webp lossless", filepath.Join("testdata", "lossless.webp"), [3]uint8{255, 0, 0}, 0},
		{"webp lossy", filepath.Join("testdata", "lossy.webp"), [3]uint8{40, 160, 81}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{0, 3} {
				img, err := DecodeFile(tt.file, size)
				if err != nil {
					t.Fatalf("DecodeFile(%s, %d): %v", tt.file, size, err)
				}
				if size > 0 && img.Bounds() != image.Rect(0, 0, size, size) {
					t.Errorf("size %d: bounds %v", size, img.Bounds())
				}
				for i := 0; i < len(img.Pix); i += 4 {
					if img.Pix[i+3] != 255 {
						t.Fatalf("size %d: pixel %d alpha %d, want 255", size, i/4, img.Pix[i+3])
					}
				}
				got := img.Pix[:3]
				for c := range 3 {
					if d := int(got[c]) - int(tt.want[c]); d < -tt.tol || d > tt.tol {
						t.Errorf("size %d: pixel 0 = %v, want %v (tolerance %d)", size, got, tt.want, tt.tol)
						break
					}
				}
			}
		})
	}
}

func TestDecodeFileWebPLosslessExact(t *testing.T) {
	img, err := DecodeFile(filepath.Join("testdata", "lossless.webp"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := img.NRGBAAt(1, 3), (color.NRGBA{0, 0, 255, 255}); got != want {
		t.Errorf("pixel (1,3) = %v, want %v", got, want)
	}
}

func TestToRGBInMemoryTypes(t *testing.T) {
	cmyk := image.NewCMYK(image.Rect(0, 0, 2, 2))
	for i := 0; i < len(cmyk.Pix); i += 4 {
		copy(cmyk.Pix[i:i+4], []uint8{0, 255, 255, 0})
	}
	rgba := image.NewRGBA(image.Rect(5, 5, 7, 7)) // premultiplied, origin not at 0
	for i := 0; i < len(rgba.Pix); i += 4 {
		copy(rgba.Pix[i:i+4], []uint8{100, 50, 0, 200})
	}
	tests := []struct {
		name string
		img  image.Image
		want [3]uint8
	}{
		{"cmyk", cmyk, [3]uint8{255, 0, 0}},
		{"premultiplied rgba", rgba, [3]uint8{127, 63, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := toRGB(tt.img, 0)
			if got.Bounds() != image.Rect(0, 0, 2, 2) {
				t.Errorf("bounds %v, want origin 0 and 2x2", got.Bounds())
			}
			if p := got.NRGBAAt(0, 0); [3]uint8{p.R, p.G, p.B} != tt.want || p.A != 255 {
				t.Errorf("pixel %v, want %v opaque", p, tt.want)
			}
		})
	}
}

// TestDecodeFileBadInputs feeds broken files of every format: each must be
// an error naming the file, never a panic.
func TestDecodeFileBadInputs(t *testing.T) {
	dir := t.TempDir()
	jpg := encode(t, solid(16, 16, color.NRGBA{1, 2, 3, 255}), "jpg")
	png := encode(t, solid(16, 16, color.NRGBA{1, 2, 3, 255}), "png")
	gifData := encode(t, solid(16, 16, color.NRGBA{1, 2, 3, 255}), "gif")
	bmpData := encode(t, solid(16, 16, color.NRGBA{1, 2, 3, 255}), "bmp")
	webp, err := os.ReadFile(filepath.Join("testdata", "lossy.webp"))
	if err != nil {
		t.Fatal(err)
	}
	// A BMP header claiming 100000 x 100000 pixels.
	hugeBMP := append([]byte(nil), bmpData...)
	copy(hugeBMP[18:26], []byte{0xa0, 0x86, 0x01, 0x00, 0xa0, 0x86, 0x01, 0x00})

	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"truncated jpeg", jpg[:len(jpg)/2], ErrBadImage},
		{"jpeg header only", jpg[:20], ErrBadImage},
		{"truncated png", png[:len(png)-20], ErrBadImage},
		{"png bad crc", corrupt(png, 40), ErrBadImage},
		{"truncated gif", gifData[:len(gifData)/2], ErrBadImage},
		{"truncated bmp", bmpData[:len(bmpData)/2], ErrBadImage},
		{"huge bmp", hugeBMP, ErrBadImage},
		{"webp header claiming 121 Mpixel", []byte("RIFFf\x00\x00\x00WEBPVP8 Z\x00\x00\x00p\x03\x00\x9d\x01*70l&"), ErrBadImage},
		{"truncated webp", webp[:len(webp)/2], ErrBadImage},
		{"text file", []byte("class,label\ncat,0\n"), ErrNotImage},
		{"empty file", nil, ErrNotImage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, dir, tt.name, tt.data)
			img, err := DecodeFile(path, 8)
			if err == nil {
				t.Fatalf("DecodeFile = %v, want error", img.Bounds())
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != path {
				t.Errorf("error %v does not name %s as a *FileError", err, path)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v, want it to wrap %v", err, tt.want)
			}
		})
	}
	if _, err := DecodeFile(filepath.Join(dir, "missing.png"), 8); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
}

func corrupt(b []byte, at int) []byte {
	out := append([]byte(nil), b...)
	out[at] ^= 0xff
	return out
}

// TestDecodeFileMatchesLibraries compares lossy decodes with what PIL
// (libjpeg-turbo, libwebp) gives, so images look to a model as they did
// in the study (testdata/gen_fixtures.py).
func TestDecodeFileMatchesLibraries(t *testing.T) {
	tests := []struct {
		file  string
		w, h  int
		mean  float64 // mean |error| allowed, in levels
		worst int
	}{
		// Exact: x/image/webp's own YCbCr is off by 8.6 levels on average
		// (27 at worst), limited range with nearest chroma by 5.7 (18).
		{"gradient.webp", 16, 16, 0, 0},
		{"jpeg420.jpg", 21, 15, 0.5, 2},
		{"jpeg422.jpg", 21, 15, 0.5, 2},
		{"jpeg444.jpg", 21, 15, 0.5, 2},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", strings.TrimSuffix(tt.file, filepath.Ext(tt.file))+".rgb"))
			if err != nil {
				t.Fatal(err)
			}
			img, err := DecodeFile(filepath.Join("testdata", tt.file), 0)
			if err != nil {
				t.Fatal(err)
			}
			var sum, worst int
			for i := range tt.w * tt.h {
				for c := range 3 {
					d := int(img.Pix[4*i+c]) - int(want[3*i+c])
					d = max(d, -d)
					sum += d
					worst = max(worst, d)
				}
			}
			mean := float64(sum) / float64(tt.w*tt.h*3)
			t.Logf("mean |error| %.3f, worst %d levels", mean, worst)
			if mean > tt.mean || worst > tt.worst {
				t.Errorf("mean |error| %.3f, worst %d levels; want <= %g and <= %d", mean, worst, tt.mean, tt.worst)
			}
		})
	}
}

// FuzzDecodeFile: whatever the bytes, DecodeFile returns an image or a
// *FileError, never panics. go test runs the seeds; fuzz with
// go test ./toolkit/data -run '^$' -fuzz FuzzDecodeFile -fuzztime 30s
func FuzzDecodeFile(f *testing.F) {
	for _, name := range []string{"lossless.webp", "lossy.webp", "gradient.webp", "cmyk.jpg"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	img := solid(5, 3, color.NRGBA{9, 99, 199, 255})
	for _, ext := range []string{"png", "jpg", "gif", "bmp"} {
		f.Add(encode(f, img, ext))
	}
	path := filepath.Join(f.TempDir(), "fuzz")
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		img, err := DecodeFile(path, 4)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FileError", err)
			}
			return
		}
		if img.Bounds() != image.Rect(0, 0, 4, 4) {
			t.Fatalf("bounds %v", img.Bounds())
		}
	})
}
