package weights

import (
	"fmt"

	"github.com/nlpodyssey/gopickle/pytorch"
	"github.com/nlpodyssey/gopickle/types"
)

// ReadPth loads a state dict saved with torch.save: the zip format of
// torch >= 1.6 (torchvision's official files) or the legacy pickle format.
// A file holding {"state_dict": ...} or {"model": ...} is unwrapped once.
func ReadPth(path string) (sd *StateDict, err error) {
	defer func() {
		// gopickle can panic on malformed input; never let that escape.
		if r := recover(); r != nil {
			sd, err = nil, fmt.Errorf("read weights %s: malformed PyTorch file: %v", path, r)
		}
	}()
	obj, err := pytorch.Load(path)
	if err != nil {
		return nil, fmt.Errorf("read weights %s: %w (truncated or not a PyTorch file?)", path, err)
	}
	entries, ok := dictEntries(obj)
	if !ok {
		return nil, fmt.Errorf("read weights %s: top-level object is %T, not a state dict", path, obj)
	}
	for _, wrapper := range []string{"state_dict", "model"} {
		for _, e := range entries {
			if k, _ := e.Key.(string); k == wrapper {
				if inner, ok := dictEntries(e.Value); ok {
					entries = inner
				}
			}
		}
	}
	sd = &StateDict{Path: path, Tensors: map[string]*Tensor{}}
	for _, e := range entries {
		name, ok := e.Key.(string)
		if !ok {
			return nil, fmt.Errorf("read weights %s: state dict key %v is not a string", path, e.Key)
		}
		t, ok := e.Value.(*pytorch.Tensor)
		if !ok {
			sd.Skipped = append(sd.Skipped, name)
			continue
		}
		values, isFloat, err := storageFloats(t.Source)
		if err != nil {
			return nil, fmt.Errorf("read weights %s: tensor %q: %w", path, name, err)
		}
		if !isFloat {
			sd.Skipped = append(sd.Skipped, name)
			continue
		}
		dense, err := contiguous(values, t.Size, t.Stride, t.StorageOffset)
		if err != nil {
			return nil, fmt.Errorf("read weights %s: tensor %q: %w", path, name, err)
		}
		if err := sd.add(name, &Tensor{Shape: append([]int(nil), t.Size...), Data: dense}); err != nil {
			return nil, err
		}
	}
	return sd, nil
}

type entry struct{ Key, Value any }

func dictEntries(obj any) ([]entry, bool) {
	var out []entry
	switch d := obj.(type) {
	case *types.OrderedDict:
		for el := d.List.Front(); el != nil; el = el.Next() {
			e := el.Value.(*types.OrderedDictEntry)
			out = append(out, entry{e.Key, e.Value})
		}
	case *types.Dict:
		for _, e := range *d {
			out = append(out, entry{e.Key, e.Value})
		}
	case types.Dict:
		for _, e := range d {
			out = append(out, entry{e.Key, e.Value})
		}
	default:
		return nil, false
	}
	return out, true
}

// storageFloats returns the storage as float32 (gopickle already widens
// half and bfloat16 storages); isFloat is false for integer/bool storages.
func storageFloats(s pytorch.StorageInterface) (values []float32, isFloat bool, err error) {
	switch st := s.(type) {
	case *pytorch.FloatStorage:
		return st.Data, true, nil
	case *pytorch.HalfStorage:
		return st.Data, true, nil
	case *pytorch.BFloat16Storage:
		return st.Data, true, nil
	case *pytorch.DoubleStorage:
		values = make([]float32, len(st.Data))
		for i, v := range st.Data {
			values[i] = float32(v)
		}
		return values, true, nil
	case *pytorch.LongStorage, *pytorch.IntStorage, *pytorch.ShortStorage, *pytorch.CharStorage,
		*pytorch.ByteStorage, *pytorch.BoolStorage:
		return nil, false, nil
	default:
		return nil, false, fmt.Errorf("unsupported storage type %T", s)
	}
}

// contiguous copies a strided view of storage into a row-major slice,
// checking every index against the storage length.
func contiguous(storage []float32, size, stride []int, offset int) ([]float32, error) {
	if len(size) != len(stride) {
		return nil, fmt.Errorf("shape %v and strides %v differ in rank", size, stride)
	}
	n := 1
	for _, d := range size {
		n *= d
	}
	out := make([]float32, n)
	if n == 0 {
		return out, nil
	}
	idx := make([]int, len(size))
	for i := range out {
		pos := offset
		for a, v := range idx {
			pos += v * stride[a]
		}
		if pos < 0 || pos >= len(storage) {
			return nil, fmt.Errorf("element %d at storage index %d outside storage of %d values (truncated file?)",
				i, pos, len(storage))
		}
		out[i] = storage[pos]
		for a := len(idx) - 1; a >= 0; a-- {
			idx[a]++
			if idx[a] < size[a] {
				break
			}
			idx[a] = 0
		}
	}
	return out, nil
}
