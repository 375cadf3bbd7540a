package data

import "image"

// libraryRGB converts the YCbCr images that image/jpeg and x/image/webp
// return to RGB the way the C libraries behind PIL (and so torchvision)
// do, so that a model sees the pixels the study's models saw:
//
//   - chroma is upsampled with libjpeg-turbo's and libwebp's "fancy"
//     triangle filter (weights 3/4, 1/4 per axis), where Go's image
//     package repeats the nearest sample: on a noisy 4:2:0 JPEG that
//     alone is 8 levels of mean error;
//   - JPEG uses libjpeg's fixed-point full-range conversion (jdcolor.c);
//   - WebP (VP8) is limited-range BT.601, which x/image/webp leaves to
//     Go's full-range conversion (golang/go#40173); this uses libwebp's
//     (src/dsp/yuv.h).
//
// Other images, and subsampling ratios other than 4:4:4, 4:2:2 and 4:2:0,
// pass through unchanged.
func libraryRGB(img image.Image, format string) image.Image {
	var ycc *image.YCbCr
	switch m := img.(type) {
	case *image.YCbCr:
		ycc = m
	case *image.NYCbCrA: // lossy WebP with alpha; alpha is dropped anyway
		ycc = &m.YCbCr
	default:
		return img
	}
	if ycc.Rect.Min != (image.Point{}) { // decoders start images at (0, 0)
		return img
	}
	var convert func(y, cb, cr uint8, rgb []uint8)
	switch format {
	case "jpeg":
		convert = jpegToRGB
	case "webp":
		convert = vp8ToRGB
	default:
		return img
	}
	w, h := ycc.Rect.Dx(), ycc.Rect.Dy()
	cw, ch := w, h
	var chroma func(plane []uint8, x, y int) uint8
	switch ycc.SubsampleRatio {
	case image.YCbCrSubsampleRatio444:
		chroma = func(plane []uint8, x, y int) uint8 { return plane[y*ycc.CStride+x] }
	case image.YCbCrSubsampleRatio422:
		cw = (w + 1) / 2
		chroma = func(plane []uint8, x, y int) uint8 {
			x0, x1 := nearFar(x, cw)
			row := plane[y*ycc.CStride:]
			// libjpeg h2v1_fancy_upsample rounds 1 then 2.
			return uint8((3*int(row[x0]) + int(row[x1]) + 1 + x%2) >> 2)
		}
	case image.YCbCrSubsampleRatio420:
		cw, ch = (w+1)/2, (h+1)/2
		// libjpeg h2v2_fancy_upsample rounds 8 then 7; libwebp's gives 8
		// for both (measured against it, testdata/gradient.webp).
		oddBias := 7
		if format == "webp" {
			oddBias = 8
		}
		chroma = func(plane []uint8, x, y int) uint8 {
			x0, x1 := nearFar(x, cw)
			y0, y1 := nearFar(y, ch)
			near, far := plane[y0*ycc.CStride:], plane[y1*ycc.CStride:]
			sum0 := 3*int(near[x0]) + int(far[x0])
			sum1 := 3*int(near[x1]) + int(far[x1])
			bias := 8
			if x%2 == 1 {
				bias = oddBias
			}
			return uint8((3*sum0 + sum1 + bias) >> 4)
		}
	default:
		return img
	}
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		o := out.Pix[y*out.Stride:]
		for x := range w {
			convert(ycc.Y[y*ycc.YStride+x], chroma(ycc.Cb, x, y), chroma(ycc.Cr, x, y), o[4*x:4*x+3])
			o[4*x+3] = 0xff
		}
	}
	return out
}

// nearFar returns, for pixel coordinate p, the chroma sample whose block
// holds p and its neighbour on p's side, clamped to [0, n): the edges
// repeat, as libjpeg's context rows and libwebp's upsampler do.
func nearFar(p, n int) (near, far int) {
	near = p / 2
	far = near - 1 + 2*(p%2)
	return near, min(max(far, 0), n-1)
}

// jpegToRGB is libjpeg's ycc_rgb_convert: full-range BT.601 in 16-bit
// fixed point, rounded as its tables are.
func jpegToRGB(y, cb, cr uint8, rgb []uint8) {
	const (
		half = 1 << 15
		crR  = 91881  // FIX(1.40200)
		cbB  = 116130 // FIX(1.77200)
		crG  = 46802  // FIX(0.71414)
		cbG  = 22554  // FIX(0.34414)
	)
	b1, r1 := int(cb)-128, int(cr)-128
	yy := int(y)
	rgb[0] = clamp8(yy + (crR*r1+half)>>16)
	rgb[1] = clamp8(yy + (-cbG*b1+half-crG*r1)>>16)
	rgb[2] = clamp8(yy + (cbB*b1+half)>>16)
}

// vp8ToRGB is libwebp's VP8YUVToR/G/B: limited-range BT.601, 14-bit
// fixed point.
func vp8ToRGB(y, u, v uint8, rgb []uint8) {
	multHi := func(v uint8, coeff int) int { return int(v) * coeff >> 8 }
	clip := func(v int) uint8 { return clamp8(v >> 6) }
	luma := multHi(y, 19077)
	rgb[0] = clip(luma + multHi(v, 26149) - 14234)
	rgb[1] = clip(luma - multHi(u, 6419) - multHi(v, 13320) + 8708)
	rgb[2] = clip(luma + multHi(u, 33050) - 17685)
}

func clamp8(v int) uint8 {
	return uint8(min(max(v, 0), 255))
}
