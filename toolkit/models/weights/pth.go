package weights

import (
	"archive/zip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/pytorch"
	"github.com/nlpodyssey/gopickle/types"
)

// ReadPth loads a state dict saved with torch.save: the zip format of
// torch >= 1.6 (torchvision's official files) or the legacy pickle format.
// A file holding {"state_dict": ...} or {"model": ...} is unwrapped once.
//
// Zip files are unpickled here with our own storage classes, which convert
// float16 with float16ToFloat32: gopickle v0.2.0's half-precision table
// gets subnormal values wrong. Legacy files go through gopickle's loader.
func ReadPth(path string) (sd *StateDict, err error) {
	defer func() {
		// gopickle can panic on malformed input; never let that escape.
		if r := recover(); r != nil {
			sd, err = nil, fmt.Errorf("read weights %s: malformed PyTorch file: %v", path, r)
		}
	}()
	var obj any
	if isZip(path) {
		zr, zerr := zip.OpenReader(path)
		if zerr != nil {
			return nil, fmt.Errorf("read weights %s: truncated or corrupt zip archive: %w", path, zerr)
		}
		obj, err = unpickleZip(&zr.Reader)
		zr.Close()
	} else {
		obj, err = pytorch.Load(path)
	}
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

func isZip(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	magic := make([]byte, 4)
	_, err = io.ReadFull(f, magic)
	return err == nil && string(magic) == "PK\x03\x04"
}

// rawStorage is a storage read from the zip archive: its element type and
// raw little-endian bytes, converted by storageFloats.
type rawStorage struct {
	dtype string // "Float", "Half", "BFloat16", "Double", or an integer type
	data  []byte
}

func (*rawStorage) SetFromFile(io.Reader) error              { return nil }
func (*rawStorage) SetFromFileWithSize(io.Reader, int) error { return nil }
func (c rawStorageClass) New(int, string) pytorch.StorageInterface {
	return &rawStorage{dtype: string(c)}
}

// rawStorageClass stands for torch.<dtype>Storage in the pickle.
type rawStorageClass string

var elemSize = map[string]int{
	"Float": 4, "Half": 2, "BFloat16": 2, "Double": 8,
	"Long": 8, "Int": 4, "Short": 2, "Char": 1, "Byte": 1, "Bool": 1,
}

// unpickleZip reads data.pkl of a torch.save zip archive, loading each
// storage from its archive/data/<key> record.
func unpickleZip(zr *zip.Reader) (any, error) {
	records := map[string]*zip.File{}
	for _, f := range zr.File {
		_, name := path.Split(f.Name)
		records[name] = f
	}
	if _, ok := records["constants.pkl"]; ok {
		return nil, fmt.Errorf("TorchScript archives are not state dicts")
	}
	pkl, ok := records["data.pkl"]
	if !ok {
		return nil, fmt.Errorf("data.pkl not found in zip file")
	}
	r, err := pkl.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	u := pickle.NewUnpickler(r)
	u.FindClass = func(module, name string) (any, error) {
		if module == "torch._utils" && name == "_rebuild_tensor_v2" {
			return &pytorch.RebuildTensorV2{}, nil
		}
		if module == "torch" && len(name) > len("Storage") && name[len(name)-len("Storage"):] == "Storage" {
			dtype := name[:len(name)-len("Storage")]
			if _, ok := elemSize[dtype]; ok {
				return rawStorageClass(dtype), nil
			}
		}
		return nil, fmt.Errorf("unsupported class %s.%s in state dict", module, name)
	}
	loaded := map[string]*rawStorage{}
	u.PersistentLoad = func(id any) (any, error) {
		tuple, ok := id.(*types.Tuple)
		if !ok || tuple.Len() < 5 {
			return nil, fmt.Errorf("unexpected persistent id %v", id)
		}
		class, ok1 := tuple.Get(1).(rawStorageClass)
		key, ok2 := tuple.Get(2).(string)
		size, ok3 := tuple.Get(4).(int)
		if kind, _ := tuple.Get(0).(string); kind != "storage" || !ok1 || !ok2 || !ok3 {
			return nil, fmt.Errorf("unexpected persistent id %v", id)
		}
		if s, ok := loaded[key]; ok {
			return s, nil
		}
		rec, ok := records[key]
		if !ok {
			return nil, fmt.Errorf("storage record %q missing from archive", key)
		}
		f, err := rec.Open()
		if err != nil {
			return nil, err
		}
		defer f.Close()
		s := &rawStorage{dtype: string(class), data: make([]byte, size*elemSize[string(class)])}
		if _, err := io.ReadFull(f, s.data); err != nil {
			return nil, fmt.Errorf("storage %q: %w", key, err)
		}
		loaded[key] = s
		return s, nil
	}
	return u.Load()
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

// storageFloats returns the storage as float32; isFloat is false for
// integer/bool storages.
func storageFloats(s pytorch.StorageInterface) (values []float32, isFloat bool, err error) {
	switch st := s.(type) {
	case *rawStorage:
		b := st.data
		switch st.dtype {
		case "Float":
			values = make([]float32, len(b)/4)
			for i := range values {
				values[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		case "Half":
			values = make([]float32, len(b)/2)
			for i := range values {
				values[i] = float16ToFloat32(binary.LittleEndian.Uint16(b[2*i:]))
			}
		case "BFloat16":
			values = make([]float32, len(b)/2)
			for i := range values {
				values[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
			}
		case "Double":
			values = make([]float32, len(b)/8)
			for i := range values {
				values[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:])))
			}
		default:
			return nil, false, nil
		}
		return values, true, nil
	// Legacy (non-zip) files, loaded by gopickle.
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
