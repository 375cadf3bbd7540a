package data

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // register the decoders the loader accepts
	_ "image/jpeg"
	_ "image/png"
	"io"
	"os"

	"github.com/disintegration/imaging"
	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/webp"
)

// maxPixels caps the decoded size of one image (width*height) so that a
// hostile or broken header cannot make the loader allocate gigabytes.
const maxPixels = 1 << 26

// DecodeFile reads one image file and returns it as opaque RGB, resized to
// size x size (bilinear with antialiasing, like torchvision's Resize;
// aspect ratio is not kept). size <= 0 keeps the decoded size.
//
// Grey, palette, 16-bit, CMYK and alpha images all become RGB the way
// PIL's convert("RGB") does it: colour channels are kept (un-premultiplied)
// and alpha is dropped, not composited. EXIF orientation is ignored, as
// in torchvision's ImageFolder; an animated GIF gives its first frame.
// Images over 64 Mpixel (e.g. 8192x8192) are refused (ErrBadImage)
// before decoding: a 30-byte WebP header can claim 120 Mpixel.
// Errors are *FileError naming the path.
func DecodeFile(path string, size int) (img *image.NRGBA, err error) {
	fail := func(err error) (*image.NRGBA, error) { return nil, &FileError{Path: path, Err: err} }
	f, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	// A decoder bug must not take the whole run down: report it as a bad file.
	defer func() {
		if r := recover(); r != nil {
			img, err = fail(fmt.Errorf("%w: decoder panicked: %v", ErrBadImage, r))
		}
	}()
	cfg, _, err := image.DecodeConfig(bufio.NewReader(f))
	if err != nil {
		return fail(decodeError(err))
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return fail(fmt.Errorf("%w: size %dx%d", ErrBadImage, cfg.Width, cfg.Height))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(err)
	}
	decoded, format, err := image.Decode(bufio.NewReader(f))
	if err != nil {
		return fail(decodeError(err))
	}
	if format == "webp" {
		decoded = webpRGB(decoded)
	}
	return toRGB(decoded, size), nil
}

func decodeError(err error) error {
	if errors.Is(err, image.ErrFormat) {
		return fmt.Errorf("%w (unknown format; want JPEG, PNG, GIF, BMP or WebP)", ErrNotImage)
	}
	var pathErr *os.PathError
	if errors.As(err, &pathErr) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrBadImage, err)
}

// toRGB converts any decoded image to an opaque NRGBA of size x size
// (size <= 0: same size), alpha dropped as PIL's convert("RGB") does.
func toRGB(img image.Image, size int) *image.NRGBA {
	// Opaque images (JPEG, most PNGs) go straight to the resize, which
	// reads any image type; others first lose their alpha so that the
	// resize does not weight colours by it.
	var rgb *image.NRGBA
	if o, ok := img.(interface{ Opaque() bool }); !ok || !o.Opaque() {
		img = imaging.Clone(img)
		rgb = img.(*image.NRGBA)
		setOpaque(rgb)
	}
	b := img.Bounds()
	if size > 0 && (b.Dx() != size || b.Dy() != size) {
		rgb = imaging.Resize(img, size, size, imaging.Linear)
	} else if rgb == nil {
		rgb = imaging.Clone(img)
	}
	setOpaque(rgb)
	return rgb
}

func setOpaque(img *image.NRGBA) {
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 0xff
	}
}

// webpRGB converts lossy WebP pixels to RGB. x/image/webp returns them as
// *image.YCbCr, whose conversion assumes JPEG's full-range YCbCr, but VP8
// stores limited-range BT.601, so colours come out washed out
// (golang/go#40173). This follows libwebp: "fancy" chroma upsampling
// (weights 9/3/3/1 from the four nearest chroma samples) and its integer
// YUV-to-RGB conversion (src/dsp/yuv.h). Images of other types (lossless
// WebP is already NRGBA) pass through unchanged.
func webpRGB(img image.Image) image.Image {
	var ycc *image.YCbCr
	switch m := img.(type) {
	case *image.YCbCr:
		ycc = m
	case *image.NYCbCrA: // alpha is dropped later anyway
		ycc = &m.YCbCr
	}
	if ycc == nil || ycc.SubsampleRatio != image.YCbCrSubsampleRatio420 || ycc.Rect.Min != (image.Point{}) {
		return img
	}
	w, h := ycc.Rect.Dx(), ycc.Rect.Dy()
	cw, ch := (w+1)/2, (h+1)/2
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	// near and far chroma index for pixel coordinate p: the sample whose
	// 2x2 block holds p, and its neighbour on p's side, clamped.
	nearFar := func(p, n int) (int, int) {
		c := p / 2
		f := c - 1 + 2*(p%2)
		return c, min(max(f, 0), n-1)
	}
	upsample := func(plane []uint8, x0, x1, y0, y1 int) uint8 {
		a := int(plane[y0*ycc.CStride+x0])
		b := int(plane[y0*ycc.CStride+x1])
		c := int(plane[y1*ycc.CStride+x0])
		d := int(plane[y1*ycc.CStride+x1])
		return uint8((9*a + 3*b + 3*c + d + 8) >> 4)
	}
	multHi := func(v uint8, coeff int) int { return int(v) * coeff >> 8 }
	clip := func(v int) uint8 {
		if v < 0 {
			return 0
		}
		if v >= 256<<6 {
			return 255
		}
		return uint8(v >> 6)
	}
	for y := range h {
		y0, y1 := nearFar(y, ch)
		o := out.Pix[y*out.Stride:]
		for x := range w {
			x0, x1 := nearFar(x, cw)
			u := upsample(ycc.Cb, x0, x1, y0, y1)
			v := upsample(ycc.Cr, x0, x1, y0, y1)
			luma := multHi(ycc.Y[y*ycc.YStride+x], 19077)
			o[4*x] = clip(luma + multHi(v, 26149) - 14234)
			o[4*x+1] = clip(luma - multHi(u, 6419) - multHi(v, 13320) + 8708)
			o[4*x+2] = clip(luma + multHi(u, 33050) - 17685)
			o[4*x+3] = 0xff
		}
	}
	return out
}
