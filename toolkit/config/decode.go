package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
)

// Decode reads a var_dict (or a config file) into c, leaving fields whose
// keys are absent as they are, so callers usually start from Defaults().
//
// Decoding is tolerant of what the study's Python package wrote: integers
// written as floats (224.0), null for "not set" (the field becomes its zero
// value) and a single number where a per-channel list is expected
// (normalize_mean: 0.5). With strict set, an unknown key is an error;
// otherwise unknown keys are returned so the caller can report them.
func Decode(data []byte, c *Config, strict bool) (unknown []string, err error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	fields := fieldsByKey()
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	v := reflect.ValueOf(c).Elem()
	for _, key := range keys {
		idx, ok := fields[key]
		if !ok {
			if strict {
				return nil, fmt.Errorf("config: unknown key %q (known keys: %s)", key, strings.Join(Keys(), ", "))
			}
			unknown = append(unknown, key)
			continue
		}
		if err := decodeField(v.Field(idx), raw[key]); err != nil {
			return unknown, fmt.Errorf("config: field %q: %w", key, err)
		}
	}
	return unknown, nil
}

// Keys lists the JSON keys of Config in declaration order.
func Keys() []string {
	t := reflect.TypeOf(Config{})
	keys := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		keys = append(keys, jsonKey(t.Field(i)))
	}
	return keys
}

func jsonKey(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

func fieldsByKey() map[string]int {
	t := reflect.TypeOf(Config{})
	m := make(map[string]int, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		m[jsonKey(t.Field(i))] = i
	}
	return m
}

func decodeField(f reflect.Value, msg json.RawMessage) error {
	if bytes.Equal(bytes.TrimSpace(msg), []byte("null")) {
		f.Set(reflect.Zero(f.Type()))
		return nil
	}
	switch f.Kind() {
	case reflect.Int, reflect.Int64:
		x, err := number(msg)
		if err != nil {
			return err
		}
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return fmt.Errorf("want an integer, got %s", msg)
		}
		f.SetInt(int64(x))
	case reflect.Float64:
		x, err := number(msg)
		if err != nil {
			return err
		}
		f.SetFloat(x)
	case reflect.Bool:
		var b bool
		if err := json.Unmarshal(msg, &b); err != nil {
			return fmt.Errorf("want true or false, got %s", msg)
		}
		f.SetBool(b)
	case reflect.String:
		var s string
		if err := json.Unmarshal(msg, &s); err != nil {
			return fmt.Errorf("want a string, got %s", msg)
		}
		f.SetString(s)
	case reflect.Slice: // []float64: a list, or one number for every channel
		if x, err := number(msg); err == nil {
			f.Set(reflect.ValueOf([]float64{x}))
			return nil
		}
		var xs []float64
		if err := json.Unmarshal(msg, &xs); err != nil {
			return fmt.Errorf("want a number or a list of numbers, got %s", msg)
		}
		f.Set(reflect.ValueOf(xs))
	default:
		return fmt.Errorf("unsupported field kind %s", f.Kind())
	}
	return nil
}

func number(msg json.RawMessage) (float64, error) {
	var x float64
	if err := json.Unmarshal(msg, &x); err != nil {
		return 0, fmt.Errorf("want a number, got %s", msg)
	}
	return x, nil
}
