package train

import "math/rand/v2"

// shuffle permutes idx in place, determined by seed and epoch alone.
func shuffle(idx []int, seed int64, epoch int) {
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(epoch)+0x9e3779b97f4a7c15))
	rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
}
