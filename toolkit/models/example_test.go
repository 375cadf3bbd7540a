package models_test

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	_ "github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/debiaser/debiaser/toolkit/models"
)

// The study's load_model('resnet18', n_class=4, pretrained=False,
// full=False): build the model and create its variables.
func ExampleBuild() {
	m, err := models.Build("resnet18", models.Options{NClass: 4})
	if err != nil {
		fmt.Println(err)
		return
	}
	backend, err := backends.NewWithConfig("go")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.New()
	if err := m.Init(ctx, backend); err != nil {
		fmt.Println(err)
		return
	}
	head := ctx.GetVariableByScopeAndName("/"+models.ClassifierScope, models.ClassifierWeights)
	fmt.Println(m.Architecture().Features, head.Shape(), head.Trainable)
	conv := ctx.GetVariableByScopeAndName("/layer1/0/conv1", "weight")
	fmt.Println(conv.Shape(), conv.Trainable)
	// Output:
	// 512 (Float32)[512 4] true
	// (Float32)[3 3 64 64] false
}

func ExampleBuild_unknown() {
	_, err := models.Build("vgg16", models.Options{NClass: 2})
	fmt.Println(err)
	// Output:
	// models: unknown model "vgg16", valid names are efficientnet_b0, mobilenet_v2, resnet18, resnet32, small_cnn
}

func ExampleCountParams() {
	backend, err := backends.NewWithConfig("go")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"resnet18", "mobilenet_v2", "efficientnet_b0"} {
		n, err := models.CountParams(backend, name, 1000)
		fmt.Println(name, n, err)
	}
	// Output:
	// resnet18 11689512 <nil>
	// mobilenet_v2 3504872 <nil>
	// efficientnet_b0 5288548 <nil>
}
