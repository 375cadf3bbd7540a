// Package weights reads PyTorch state dicts and describes torchvision's
// ImageNet weight files.
//
// Read loads a state dict from either file format torchvision weights come
// in: the official .pth files (a pickle inside a zip archive, or the legacy
// pickle format; read with github.com/nlpodyssey/gopickle) and .safetensors
// files (an 8-byte header length, a JSON header and raw little-endian data).
// float32, float16 and bfloat16 tensors are converted to float32 on load;
// integer buffers such as batch norm's num_batches_tracked are skipped. A
// truncated or malformed file is an error naming the file and, where it
// applies, the tensor, never a panic.
//
// A Descriptor carries what torchvision publishes with a weight file: its
// URL, its SHA-256 (torchvision publishes the first hex digits in the file
// name), the input size and the normalisation mean/std. Fetch finds the file
// in a cache directory, or downloads it there and checks the checksum; with
// Offline set (or DEBIASER_OFFLINE=1, as in CI) it never touches the network
// and says how to provide the file instead. An explicit local path (the
// run config's weights_path) needs none of this.
package weights
