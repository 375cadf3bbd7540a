// Package devaug runs the training augmentation of toolkit/transforms on
// the backend, inside a GoMLX graph, so that an accelerator is not fed by
// a per-sample loop on the CPU (config key augment_on: "device").
//
// The training images are uploaded once, as uint8 pixels [N*L*L+1, 3]
// (L = the model's input size S, or with crop the stored size, LoadSize;
// 1,500 images at 224 are 1500*224*224*3 bytes = 226 MB, at 256 for crop
// 295 MB, 4x less than float32; the extra pixel is black), and stay on
// the backend. For each batch the host only draws the per-sample
// parameters, with the very random draws of the host pipeline
// (transforms.Pipeline.Draw on data.SampleRand), and sends them as int32
// [B, 11]: the image index, the map from output pixels to pixels of the
// cropped and resized image, which is the rotation's fixed-point inverse
// map (transforms.NewRotation) with the flips folded in, and the crop
// box. Augment turns them into the normalised float32 batch:
//
//   - crop (RandomResizedCrop + resize): imaging's antialiased Linear
//     resize of the box, as two batched matrix products with dense
//     per-sample weight matrices built in the graph by imaging's own
//     formulas, in float64, rounding to 0..255 after each pass as imaging
//     does; only the order of the sums differs, so a value computed within
//     about 1e-13 of a rounding boundary could round the other way (1
//     level); the tests found no such value;
//   - flips: exact (folded into the integer map);
//   - rotation: Pillow's nearest-neighbour inverse map in the same 16.16
//     integer arithmetic as the host port, so every pixel is the same;
//   - normalise: (pixel/255 - mean) / std with the host's float32
//     constants, multiply then add, so every value is the same bit for bit
//     on gofast (XLA may contract the two into an FMA: 1 ulp at most).
//
// Tests compare device and host batches value for value on gofast, and a
// whole run with augment_on "device" against "host" (same log).
//
// Cost: without crop one gather per output pixel; with crop also the
// float64 products, B x S x L x 3 x (L + S) multiply-adds per batch (5.3 G
// at B = 64, S = 224, L = 256): cheap on a GPU, slow on gofast (see
// docs/pipeline.md). Validation batches have no randomness and stay on
// the host.
//
// Use:
//
//	aug, err := devaug.New(backend, split.Train, pipe, cfg.Seed)
//	defer aug.Close()
//	images, labels, err := aug.Tensors(indices, epoch, position) // images stay on the backend
package devaug
