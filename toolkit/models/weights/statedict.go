package weights

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Tensor is one float32 tensor of a state dict, in PyTorch's layout
// (row-major, PyTorch's axis order: OIHW for convolutions, [out, in] for
// linear layers).
type Tensor struct {
	Shape []int
	Data  []float32
}

// Size is the number of elements the shape calls for.
func (t *Tensor) Size() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// StateDict is a PyTorch state dict: parameter name -> tensor.
type StateDict struct {
	Path    string             // file it was read from, for error messages
	Tensors map[string]*Tensor // float tensors, converted to float32
	Skipped []string           // non-float entries (e.g. "bn1.num_batches_tracked")
}

// Keys returns the tensor names, sorted.
func (sd *StateDict) Keys() []string {
	keys := make([]string, 0, len(sd.Tensors))
	for k := range sd.Tensors {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Read loads a state dict from a .pth/.pt file (zip or legacy pickle) or a
// .safetensors file. The format is recognised from the file's first bytes,
// not its name.
func Read(path string) (*StateDict, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read weights: %w", err)
	}
	head := make([]byte, 8)
	n, err := io.ReadFull(f, head)
	f.Close()
	if err != nil && n == 0 {
		return nil, fmt.Errorf("read weights %s: empty or unreadable file: %w", path, err)
	}
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), // torch.save zip format (torch >= 1.6)
		bytes.HasPrefix(head, []byte{0x80}): // legacy pickle format
		return ReadPth(path)
	case strings.HasSuffix(path, ".pth") || strings.HasSuffix(path, ".pt"):
		return nil, fmt.Errorf("read weights %s: not a PyTorch zip or pickle file", path)
	default:
		return ReadSafetensors(path)
	}
}

func (sd *StateDict) add(name string, t *Tensor) error {
	if t.Size() != len(t.Data) {
		return fmt.Errorf("read weights %s: tensor %q: shape %v needs %d values, file has %d",
			sd.Path, name, t.Shape, t.Size(), len(t.Data))
	}
	if _, dup := sd.Tensors[name]; dup {
		return fmt.Errorf("read weights %s: tensor %q appears twice", sd.Path, name)
	}
	sd.Tensors[name] = t
	return nil
}
