package data

import (
	"errors"
	"fmt"
)

// Conditions callers can test with errors.Is. Every error returned by a
// loader wraps one of these or an *fs.PathError, and names the file or
// folder it is about.
var (
	// ErrNoImages: a dataset folder holds no class folders or no images.
	ErrNoImages = errors.New("no images")
	// ErrEmptyClass: a class folder holds no files, or none that decoded.
	ErrEmptyClass = errors.New("empty class folder")
	// ErrClassMismatch: train and valid folders have different class lists.
	ErrClassMismatch = errors.New("train and valid classes differ")
	// ErrNotImage: a file is in no format the loader decodes (JPEG, PNG,
	// GIF, BMP, WebP).
	ErrNotImage = errors.New("not an image")
	// ErrBadImage: an image file is corrupt, truncated or too large.
	ErrBadImage = errors.New("corrupt or unusable image")
)

// FileError is one file the loader could not use: Path names it and Err
// says why (it wraps ErrNotImage, ErrBadImage or an *fs.PathError).
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return fmt.Sprintf("%s: %v", e.Path, e.Err) }

func (e *FileError) Unwrap() error { return e.Err }
