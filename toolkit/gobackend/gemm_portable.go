package gobackend

// gemmMicroGeneric is the portable micro-kernel: one row of the tile at a time, gemmNR accumulators.
func gemmMicroGeneric(kLen int, a []float32, lda int, panel []float32, c []float32, ldc int, accumulate bool) {
	panel = panel[:kLen*gemmNR]
	for r := range gemmMR {
		var accArr [gemmMaxNR]float32
		acc := accArr[:gemmNR]
		dst := c[r*ldc : r*ldc+gemmNR]
		if accumulate {
			copy(acc, dst)
		}
		row := a[r*lda : r*lda+kLen]
		for k, av := range row {
			bk := panel[k*gemmNR : k*gemmNR+gemmNR]
			for j := range acc {
				acc[j] += av * bk[j]
			}
		}
		copy(dst, acc)
	}
}

// gemmMicroTGeneric is gemmMicroGeneric for a transposed A (A[r][k] = a[k*lda + r]).
func gemmMicroTGeneric(kLen int, a []float32, lda int, panel []float32, c []float32, ldc int, accumulate bool) {
	panel = panel[:kLen*gemmNR]
	for r := range gemmMR {
		var accArr [gemmMaxNR]float32
		acc := accArr[:gemmNR]
		dst := c[r*ldc : r*ldc+gemmNR]
		if accumulate {
			copy(acc, dst)
		}
		for k := range kLen {
			av := a[k*lda+r]
			bk := panel[k*gemmNR : k*gemmNR+gemmNR]
			for j := range acc {
				acc[j] += av * bk[j]
			}
		}
		copy(dst, acc)
	}
}
