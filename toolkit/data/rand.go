package data

import "math/rand/v2"

// Streams keep the random sequences of different uses apart when they
// share one seed.
const (
	streamSplit  = 0x5eed_5b11
	streamSample = 0x5eed_5a3e
)

// SampleRand returns the random source of the sample at position (its
// place in the epoch's order, counted from 0) in epoch, for a run seeded
// with seed. Each sample gets its own source, so the transforms it draws
// depend on (seed, epoch, position) only, not on which worker runs it or
// on the batch size.
func SampleRand(seed int64, epoch, position int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), mix(streamSample, uint64(epoch), uint64(position))))
}

// mix hashes its words into one (splitmix64 finaliser per word).
func mix(words ...uint64) uint64 {
	var h uint64
	for _, w := range words {
		h ^= w
		h += 0x9e3779b97f4a7c15
		h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9
		h = (h ^ (h >> 27)) * 0x94d049bb133111eb
		h ^= h >> 31
	}
	return h
}
