// Package data loads image-folder datasets into memory and turns them into
// batches: train/<class>/* and valid/<class>/* (the study's layout), or one
// folder split into train and valid by a seeded stratified split.
package data
