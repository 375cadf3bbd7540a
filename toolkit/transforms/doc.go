// Package transforms is the study's "transformer": resize, normalize,
// random flips, random rotation and crops, applied per sample with a
// seeded random source.
//
// A Pipeline is built from a run config with FromConfig. In Train mode it
// applies, in this order and drawing randomness in this order:
//
//   - crop: torchvision's RandomResizedCrop(size, scale=(0.08, 1),
//     ratio=(3/4, 4/3)); without crop, a resize to size x size;
//   - hflip, then vflip: each with probability 0.5 (RandomHorizontalFlip,
//     RandomVerticalFlip);
//   - rotate: an angle uniform in [-degrees, degrees], counter-clockwise
//     about the centre, same size, nearest neighbour, uncovered corners
//     black: torchvision's RandomRotation(degrees) defaults, pixel for
//     pixel the same as the Pillow call it makes (tested against Pillow);
//   - normalize: (pixel/255 - mean) / std per channel.
//
// In Eval mode (validation) there is no randomness: resize to size x size
// and normalize, or with crop torchvision's classic Resize(256) +
// CenterCrop(224) proportions: resize to LoadSize = round(size*256/224),
// then take the centre size x size.
//
// The loader stores images square at Pipeline.LoadSize (the study resized
// to 224x224, not keeping the aspect ratio), so the crop has pixels to
// choose from and nothing is resized twice:
//
//	pipe, err := transforms.FromConfig(cfg)
//	split, err := data.LoadConfig(cfg, pipe.LoadSize())
//	train := &data.Batcher{Data: split.Train, Transform: pipe, Seed: cfg.Seed}
//	valid := &data.Batcher{Data: split.Valid, Transform: pipe.InMode(transforms.Eval)}
//
// Draw returns one sample's randomness (Apply draws through it), so the
// graph version of flips and rotation in toolkit/transforms/devaug
// (config augment_on: "device") gets the same augmentation per sample.
//
// Pipeline implements data.Transform; Examples returns before/after pairs
// for notebooks. Resizing, cropping and flipping use
// github.com/disintegration/imaging (its Linear filter is Pillow's
// antialiased BILINEAR, which torchvision's Resize uses, to within one
// level); rotation is this package's port of Pillow's.
package transforms
