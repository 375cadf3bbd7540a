// Package data loads image-folder datasets into memory and turns them into
// batches: train/<class>/* and valid/<class>/* (the study's layout), or one
// folder split into train and valid by a seeded stratified split.
//
// # Loading
//
// LoadSplit reads the study's two folders, LoadFolder one folder that
// StratifiedSplit divides, Load one folder as it is. Class names are the
// sub-folder names, sorted, and train and valid must have the same ones.
// Files are decoded by content, not by extension: JPEG, PNG, GIF, BMP and
// WebP. Grey, palette, 16-bit, CMYK and alpha images all become 8-bit RGB
// as PIL's convert("RGB") makes them, and JPEG and lossy WebP colours are
// converted as libjpeg-turbo and libwebp do (chroma upsampling, fixed-point
// formulas), so pixels match what PIL gave the study's models to within a
// level or two of IDCT rounding (Go's own conversion is off by about one
// level on average on the flowers JPEGs, 50 at colour edges).
// Decoding runs once, on all cores, and keeps each image resized to
// Options.ImageSize square (*image.NRGBA, opaque) for the whole run.
//
// # Bad input
//
// By default the first bad file, in path order whatever the scheduling,
// is an error naming the file and the reason (a *FileError wrapping
// ErrNotImage, ErrBadImage or the file system's error). With
// Options.SkipBadFiles those files are left out and listed in
// Split.Skipped. Whatever the options, an empty class folder
// (ErrEmptyClass, also when all its files were bad), a class only in
// train or only in valid (ErrClassMismatch), a folder without class
// folders (ErrNoImages) and an unreadable or missing folder are errors.
// Loaders return errors, never panic; a decoder that panics on a
// malformed file is reported as ErrBadImage.
//
// # Batches
//
// A Batcher turns dataset indices into one batch: float32 images
// [batch, H, W, 3] (NHWC) and int32 labels [batch], as GoMLX tensors
// (Tensors) or plain slices (Floats, Fill). Each sample goes through a
// Transform (transforms.Pipeline) on all cores with its own random
// source, SampleRand(seed, epoch, position), so a batch depends only on
// the seed, the epoch and the samples' positions in the epoch's order,
// not on the number of workers or their timing.
package data
