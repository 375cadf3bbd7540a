package weights_test

import (
	"fmt"

	"github.com/debiaser/debiaser/toolkit/models/weights"
)

func ExampleRead() {
	sd, err := weights.Read("../testdata/resnet18.weights.pth")
	if err != nil {
		fmt.Println(err)
		return
	}
	t := sd.Tensors["layer1.0.conv1.weight"]
	fmt.Println(len(sd.Tensors), t.Shape) // PyTorch layout: OIHW
	// Output: 62 [8 8 3 3]
}

func ExampleFetch() {
	d := weights.ImageNet["resnet18"]
	_, err := weights.Fetch(d, weights.FetchOptions{CacheDir: "/nonexistent/cache", Offline: true})
	fmt.Println(err)
	// Output:
	// resnet18 ImageNet weights: weights not available offline: resnet18-f37072fd.pth is not in the cache; download https://download.pytorch.org/models/resnet18-f37072fd.pth into /nonexistent/cache or set weights_path to a local copy
}
