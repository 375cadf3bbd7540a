package weights

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
)

// maxHeader bounds the JSON header so a corrupt length cannot make us
// allocate gigabytes (the safetensors reference implementation uses 100 MB).
const maxHeader = 100 << 20

type safetensorsEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// ReadSafetensors loads a .safetensors file. F32, F16 and BF16 tensors are
// converted to float32; integer and bool tensors are listed in Skipped.
func ReadSafetensors(path string) (*StateDict, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read weights: %w", err)
	}
	fail := func(format string, args ...any) (*StateDict, error) {
		return nil, fmt.Errorf("read weights %s: %s", path, fmt.Sprintf(format, args...))
	}
	if len(raw) < 8 {
		return fail("truncated safetensors file (%d bytes, no header length)", len(raw))
	}
	headerLen := binary.LittleEndian.Uint64(raw[:8])
	if headerLen > maxHeader || headerLen > uint64(len(raw)-8) {
		return fail("truncated or not a safetensors file (header length %d, file size %d)", headerLen, len(raw))
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+headerLen], &header); err != nil {
		return fail("safetensors header is not valid JSON: %v", err)
	}
	data := raw[8+headerLen:]
	sd := &StateDict{Path: path, Tensors: map[string]*Tensor{}}
	// Sorted, so that errors and Skipped do not depend on map order.
	for _, name := range slices.Sorted(maps.Keys(header)) {
		msg := header[name]
		if name == "__metadata__" {
			continue
		}
		var e safetensorsEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			return fail("tensor %q: bad header entry: %v", name, err)
		}
		start, end := e.DataOffsets[0], e.DataOffsets[1]
		if start < 0 || end < start || end > int64(len(data)) {
			return fail("tensor %q: data offsets [%d, %d) outside the %d data bytes (truncated file?)",
				name, start, end, len(data))
		}
		buf := data[start:end]
		var values []float32
		switch e.DType {
		case "F32":
			values = make([]float32, len(buf)/4)
			for i := range values {
				values[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
			}
		case "F16":
			values = make([]float32, len(buf)/2)
			for i := range values {
				values[i] = float16ToFloat32(binary.LittleEndian.Uint16(buf[2*i:]))
			}
		case "BF16":
			values = make([]float32, len(buf)/2)
			for i := range values {
				values[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(buf[2*i:])) << 16)
			}
		case "I64", "I32", "I16", "I8", "U8", "BOOL":
			sd.Skipped = append(sd.Skipped, name)
			continue
		default:
			return fail("tensor %q: unsupported dtype %q (want F32, F16 or BF16)", name, e.DType)
		}
		if err := sd.add(name, &Tensor{Shape: e.Shape, Data: values}); err != nil {
			return nil, err
		}
	}
	return sd, nil
}

// float16ToFloat32 converts an IEEE 754 half-precision value.
func float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: value = mant * 2^-24
		v := float32(mant) * float32(math.Ldexp(1, -24))
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	default:
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	}
}
