// Package models is the model zoo of the study's load_model(model_id,
// n_class, pretrained, full), in GoMLX, one file per architecture:
//
//   - small_cnn: a few conv-BN-ReLU-pool blocks for CPU work and tests;
//   - resnet18: torchvision's ResNet-18 (He et al. 2016);
//   - resnet32: the CIFAR ResNet-32 with option-A shortcuts (He et al. 2016);
//   - mobilenet_v2: torchvision's MobileNetV2 (Sandler et al. 2018);
//   - efficientnet_b0: torchvision's EfficientNet-B0 (Tan & Le 2019).
//
// The torchvision architectures follow torchvision 0.14 exactly (layer
// order, padding, strides, batch norm with epsilon 1e-5 and PyTorch
// momentum 0.1, ReLU6, SiLU, squeeze-excitation, stochastic depth; stage
// tables as data) and compute in NHWC. Their logits agree with
// torchvision's for the same weights and input to better than 1e-6
// relative (see TestParityFixtures and docs/models.md).
//
// Every model ends in the study's replacement head, ReLU -> Dropout(0.5)
// -> Linear(features, n_class), whose variables are
// <scope>/classifier/weights and <scope>/classifier/biases (ClassifierScope,
// ClassifierWeights, ClassifierBiases). With Options.Full false only the
// head trains: backbone variables are not trainable, no gradient flows into
// the backbone, and its batch norm stays in inference mode.
//
// Variables are named after PyTorch's modules ("/layer1/0/conv1/weight",
// "/features/3/conv/1/1/running_var"), so a torchvision state dict maps
// onto them by name; convolution kernels are converted from OIHW to HWIO.
// Build reads the weights file (package weights: .pth or .safetensors, a
// local path or torchvision's ImageNet file from the cache); Model.Init
// creates the variables and returns an error naming the parameter for a
// file of the wrong architecture, a wrong shape or a missing key.
//
// Typical use with GoMLX's trainer:
//
//	m, err := models.Build("resnet18", models.Options{NClass: 4, Pretrained: true})
//	...
//	ctx := context.New()
//	if err := m.Init(ctx, backend); err != nil { ... }
//	trainer := train.NewTrainer(backend, ctx, m.Fn, lossFn, optimizer, nil, nil)
package models
