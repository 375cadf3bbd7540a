package transforms

import (
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"

	"github.com/debiaser/debiaser/toolkit/config"
	"github.com/disintegration/imaging"
)

// Mode says whether random augmentation is applied.
type Mode int

const (
	// Train applies the random transforms (training data only).
	Train Mode = iota
	// Eval resizes (and centre-crops) and normalizes, without randomness.
	Eval
)

func (m Mode) String() string {
	switch m {
	case Train:
		return "train"
	case Eval:
		return "eval"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Pipeline is one configured chain of transforms. Its zero value is not
// usable: build it with FromConfig, or set Size, Mean and Std.
type Pipeline struct {
	// Size is the side of the square output (the study's image_size).
	Size int
	// Mean and Std normalise each channel: (pixel/255 - Mean) / Std.
	Mean, Std [3]float32
	// HFlip and VFlip flip with probability 0.5 each.
	HFlip, VFlip bool
	// Degrees > 0 rotates by an angle uniform in [-Degrees, Degrees].
	Degrees float64
	// Crop selects RandomResizedCrop (Train) and centre crop (Eval).
	Crop bool
	Mode Mode
}

// Crop parameters of torchvision's RandomResizedCrop defaults, and the
// Resize(256)/CenterCrop(224) proportion of its evaluation recipe.
const (
	cropMinScale = 0.08
	cropMaxScale = 1.0
	cropMinRatio = 3.0 / 4.0
	cropMaxRatio = 4.0 / 3.0
	evalCropFrac = 224.0 / 256.0
)

// FromConfig builds a Train-mode pipeline from the config's transform
// fields: image_size, normalize_mean/normalize_std (1 value for all
// channels or 3; none means mean 0, std 1), hflip, vflip, rotate with
// degrees, and crop.
func FromConfig(cfg config.Config) (Pipeline, error) {
	p := Pipeline{Size: cfg.ImageSize, HFlip: cfg.HFlip, VFlip: cfg.VFlip, Crop: cfg.Crop, Mode: Train}
	if cfg.Rotate {
		p.Degrees = cfg.Degrees
	}
	var err error
	if p.Mean, err = channels("normalize_mean", cfg.NormalizeMean, 0); err != nil {
		return Pipeline{}, err
	}
	if p.Std, err = channels("normalize_std", cfg.NormalizeStd, 1); err != nil {
		return Pipeline{}, err
	}
	if err := p.Validate(); err != nil {
		return Pipeline{}, err
	}
	return p, nil
}

func channels(key string, xs []float64, unset float32) ([3]float32, error) {
	switch len(xs) {
	case 0:
		return [3]float32{unset, unset, unset}, nil
	case 1:
		return [3]float32{float32(xs[0]), float32(xs[0]), float32(xs[0])}, nil
	case 3:
		return [3]float32{float32(xs[0]), float32(xs[1]), float32(xs[2])}, nil
	}
	return [3]float32{}, &config.FieldError{Key: key, Reason: fmt.Sprintf("want 1 or 3 values, got %d", len(xs))}
}

// Validate reports a pipeline that cannot run.
func (p Pipeline) Validate() error {
	var errs []error
	if p.Size <= 0 {
		errs = append(errs, &config.FieldError{Key: "image_size", Reason: fmt.Sprintf("must be > 0, got %d", p.Size)})
	}
	for c, s := range p.Std {
		if !(s > 0) {
			errs = append(errs, &config.FieldError{Key: "normalize_std", Reason: fmt.Sprintf("channel %d: must be > 0, got %g", c, s)})
		}
	}
	if p.Degrees < 0 || p.Degrees > 180 || math.IsNaN(p.Degrees) {
		errs = append(errs, &config.FieldError{Key: "degrees", Reason: fmt.Sprintf("must be in [0, 180], got %g", p.Degrees)})
	}
	if p.Mode != Train && p.Mode != Eval {
		errs = append(errs, fmt.Errorf("transforms: unknown mode %v", p.Mode))
	}
	return errors.Join(errs...)
}

// Random reports whether p in Train mode draws anything at random (a flip,
// a rotation, a random crop): when it does not, a sample's training image
// is the same in every epoch.
func (p Pipeline) Random() bool {
	return p.HFlip || p.VFlip || p.Degrees > 0 || p.Crop
}

// InMode returns a copy of p in mode m.
func (p Pipeline) InMode(m Mode) Pipeline {
	p.Mode = m
	return p
}

// LoadSize is the square size a loader should store images at: Size, or
// round(Size*256/224) when cropping, so crops have pixels to choose from.
func (p Pipeline) LoadSize() int {
	if p.Crop {
		return int(math.Round(float64(p.Size) / evalCropFrac))
	}
	return p.Size
}

// OutputSize is the height and width of every sample (data.Transform).
func (p Pipeline) OutputSize() (height, width int) { return p.Size, p.Size }

// Apply runs the image part of the pipeline (everything but normalize)
// and returns a Size x Size image. Train mode draws from rng, which must
// not be nil; Eval mode ignores it. When nothing changes img (an
// *image.NRGBA already Size x Size, no transform drawn) the result is img
// itself: treat it as read-only.
func (p Pipeline) Apply(img image.Image, rng *rand.Rand) (*image.NRGBA, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if n, ok := img.(*image.NRGBA); img == nil || ok && n == nil {
		return nil, errors.New("transforms: nil image")
	}
	if b := img.Bounds(); b.Dx() <= 0 || b.Dy() <= 0 {
		return nil, fmt.Errorf("transforms: empty image %v", b)
	}
	if p.Mode == Eval {
		if p.Crop {
			return imaging.CropCenter(resize(img, p.LoadSize()), p.Size, p.Size), nil
		}
		return resize(img, p.Size), nil
	}
	if rng == nil {
		return nil, errors.New("transforms: train mode needs a random source")
	}
	d := p.Draw(img.Bounds(), rng)
	var out *image.NRGBA
	if p.Crop {
		out = imaging.Resize(imaging.Crop(img, d.Crop), p.Size, p.Size, imaging.Linear)
	} else {
		out = resize(img, p.Size)
	}
	if d.HFlip {
		out = imaging.FlipH(out)
	}
	if d.VFlip {
		out = imaging.FlipV(out)
	}
	if p.Degrees > 0 {
		out = rotate(out, d.Angle)
	}
	return out, nil
}

// Drawn is the randomness of one Train-mode sample. Apply draws it with
// Draw and then applies it; other implementations of the same transforms
// (toolkit/transforms/devaug, on the backend) draw it the same way, so a
// sample gets the same augmentation wherever it runs.
type Drawn struct {
	// Crop is the RandomResizedCrop rectangle; the whole image without crop.
	Crop image.Rectangle
	// HFlip and VFlip say whether the sample is flipped.
	HFlip, VFlip bool
	// Angle is the counter-clockwise rotation in degrees (0 without rotation).
	Angle float64
}

// Draw draws one Train-mode sample's randomness from rng, for an image
// with bounds b, in the order of the package documentation: crop, hflip,
// vflip, angle. Only the enabled transforms draw.
func (p Pipeline) Draw(b image.Rectangle, rng *rand.Rand) Drawn {
	d := Drawn{Crop: b}
	if p.Crop {
		d.Crop = randomResizedCrop(b, rng)
	}
	if p.HFlip {
		d.HFlip = rng.Float64() < 0.5
	}
	if p.VFlip {
		d.VFlip = rng.Float64() < 0.5
	}
	if p.Degrees > 0 {
		d.Angle = (2*rng.Float64() - 1) * p.Degrees
	}
	return d
}

// Normalize writes img as HWC float32 values (pixel/255 - Mean) / Std to
// dst, which must hold exactly width*height*3 values.
func (p Pipeline) Normalize(dst []float32, img *image.NRGBA) error {
	if img == nil {
		return errors.New("transforms: normalize: nil image")
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if len(dst) != w*h*3 {
		return fmt.Errorf("transforms: normalize %dx%d image needs %d values, got %d", w, h, w*h*3, len(dst))
	}
	var scale, shift [3]float32
	for c := range 3 {
		scale[c] = 1 / (255 * p.Std[c])
		shift[c] = -p.Mean[c] / p.Std[c]
	}
	j := 0
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+w*4]
		for x := 0; x < len(row); x += 4 {
			dst[j] = float32(row[x])*scale[0] + shift[0]
			dst[j+1] = float32(row[x+1])*scale[1] + shift[1]
			dst[j+2] = float32(row[x+2])*scale[2] + shift[2]
			j += 3
		}
	}
	return nil
}

// Sample applies the pipeline and normalizes into dst (data.Transform).
func (p Pipeline) Sample(dst []float32, img *image.NRGBA, rng *rand.Rand) error {
	out, err := p.Apply(img, rng)
	if err != nil {
		return err
	}
	return p.Normalize(dst, out)
}

// resize returns img at size x size (bilinear, antialiased): img itself
// when it is already an *image.NRGBA of that size at origin (0, 0).
func resize(img image.Image, size int) *image.NRGBA {
	if n, ok := img.(*image.NRGBA); ok && n.Rect == image.Rect(0, 0, size, size) {
		return n
	}
	return imaging.Resize(img, size, size, imaging.Linear)
}

// randomResizedCrop picks the crop rectangle of torchvision's
// RandomResizedCrop.get_params: up to 10 tries at an area share in
// [0.08, 1] and a log-uniform aspect ratio in [3/4, 4/3], else the
// largest centred crop with the ratio clamped to that range.
func randomResizedCrop(b image.Rectangle, rng *rand.Rand) image.Rectangle {
	width, height := b.Dx(), b.Dy()
	area := float64(width * height)
	logLo, logHi := math.Log(cropMinRatio), math.Log(cropMaxRatio)
	for range 10 {
		target := area * (cropMinScale + rng.Float64()*(cropMaxScale-cropMinScale))
		ratio := math.Exp(logLo + rng.Float64()*(logHi-logLo))
		w := int(math.Round(math.Sqrt(target * ratio)))
		h := int(math.Round(math.Sqrt(target / ratio)))
		if w > 0 && w <= width && h > 0 && h <= height {
			i := rng.IntN(height - h + 1)
			j := rng.IntN(width - w + 1)
			return image.Rect(b.Min.X+j, b.Min.Y+i, b.Min.X+j+w, b.Min.Y+i+h)
		}
	}
	inRatio := float64(width) / float64(height)
	w, h := width, height
	switch {
	case inRatio < cropMinRatio:
		h = int(math.Round(float64(w) / cropMinRatio))
	case inRatio > cropMaxRatio:
		w = int(math.Round(float64(h) * cropMaxRatio))
	}
	i, j := (height-h)/2, (width-w)/2
	return image.Rect(b.Min.X+j, b.Min.Y+i, b.Min.X+j+w, b.Min.Y+i+h)
}
