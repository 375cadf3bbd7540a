// Package devaug runs the training augmentation of toolkit/transforms on
// the backend, inside a GoMLX graph, so that an accelerator is not fed by
// a per-sample loop on the CPU (config key augment_on: "device").
//
// The training images are uploaded once, as uint8 pixels [N*S*S+1, 3]
// (S = the model's input size; 1,500 images at 224 are 1500*224*224*3
// bytes = 226 MB, 4x less than float32; the extra pixel is black), and
// stay on the backend. For each batch the host only draws the per-sample
// parameters, with the very random draws of the host pipeline
// (transforms.Pipeline.Draw on data.SampleRand), and sends them as int32
// [B, 7]: the image index and the map from output pixels to stored
// pixels, which is the rotation's fixed-point inverse map
// (transforms.NewRotation) with the flips folded in. Augment turns them
// into the normalised float32 batch with one gather:
//
//   - flips: exact (folded into the integer map);
//   - rotation: Pillow's nearest-neighbour inverse map in the same 16.16
//     integer arithmetic as the host port, so every pixel is the same;
//   - normalise: (pixel/255 - mean) / std with the host's float32
//     constants, multiply then add, so every value is the same bit for bit
//     on gofast (XLA may contract the two into an FMA: 1 ulp at most).
//
// Tests compare device and host batches value for value on gofast.
//
// Not supported: crop (RandomResizedCrop). The host resizes each crop box
// with imaging's antialiased Linear filter (and rounds to uint8 between
// its two passes); a plain bilinear gather differs when it downscales, so
// Check (and config.Validate for augment_on: "device") refuses crop
// rather than silently train on different images. Validation batches have
// no randomness and stay on the host.
//
// Use:
//
//	aug, err := devaug.New(backend, split.Train, pipe, cfg.Seed)
//	defer aug.Close()
//	images, labels, err := aug.Tensors(indices, epoch, position) // images stay on the backend
package devaug
