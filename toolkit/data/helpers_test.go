package data

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/image/bmp"
)

// solid returns a w x h opaque image of one colour.
func solid(w, h int, c color.NRGBA) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

// encode returns img in the format named by ext ("png", "jpg", "gif", "bmp").
func encode(t testing.TB, img image.Image, ext string) []byte {
	t.Helper()
	var buf bytes.Buffer
	var err error
	switch ext {
	case "png":
		err = png.Encode(&buf, img)
	case "jpg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95})
	case "gif":
		err = gif.Encode(&buf, img, nil)
	case "bmp":
		err = bmp.Encode(&buf, img)
	default:
		t.Fatalf("encode: unknown format %q", ext)
	}
	if err != nil {
		t.Fatalf("encode %s: %v", ext, err)
	}
	return buf.Bytes()
}

// writeFile writes data to root/rel, making folders as needed.
func writeFile(t *testing.T, root, rel string, data []byte) string {
	t.Helper()
	path := filepath.Join(root, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// classColor gives each test class its own colour so tests can check that
// labels and pixels stay together.
var classColor = map[string]color.NRGBA{
	"cat":  {200, 30, 30, 255},
	"dog":  {30, 200, 30, 255},
	"frog": {30, 30, 200, 255},
}

// makeTree writes n[class] small PNG images per class below root and
// returns root.
func makeTree(t *testing.T, root string, n map[string]int) string {
	t.Helper()
	for class, count := range n {
		for i := range count {
			writeFile(t, root, filepath.Join(class, "img"+string(rune('a'+i/26))+string(rune('a'+i%26))+".png"),
				encode(t, solid(6, 5, classColor[class]), "png"))
		}
	}
	return root
}
