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
// and alpha is dropped, not composited. JPEG and lossy WebP pixels are
// converted as libjpeg-turbo and libwebp convert them.
// EXIF orientation is ignored, as
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
	decoded = libraryRGB(decoded, format)
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
