// Command fetch downloads the public datasets into the cache folder and
// builds study sets from image folders.
//
//	go run ./datasets/fetch tf_flowers            # datasets/downloads/flower_photos
//	go run ./datasets/fetch cifar10               # datasets/downloads/cifar10/{train,test}
//	go run ./datasets/fetch -out datasets/cifar10-lt-100 -if 100 -max 5000 -valid-ratio 0.2 -balanced-valid cifar10
//	go run ./datasets/fetch -from path/to/flowers -out datasets/study      # the study's 750/425/250/75 counts
//
// With -out, the chosen images are written as out/train/<class> and
// out/valid/<class> (symbolic links unless -copy) plus out/subset.json.
// For cifar10 the valid images come from CIFAR-10's test split.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/debiaser/debiaser/datasets"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "fetch:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("fetch", flag.ContinueOnError)
	cache := fs.String("cache", datasets.DefaultCacheDir, "download cache folder")
	from := fs.String("from", "", "build a study set from this image folder instead of a download")
	out := fs.String("out", "", "write a study set here (train/, valid/, subset.json)")
	classes := fs.String("classes", "", "comma-separated class folders, head class first (default: the largest)")
	factor := fs.Float64("if", 0, "imbalance factor of a long-tailed set (0: the study's counts)")
	maxPer := fs.Int("max", 0, "train images of the head class with -if (0: 750)")
	validRatio := fs.Float64("valid-ratio", 0, "valid head class = max * ratio with -if (0: 1/3)")
	balanced := fs.Bool("balanced-valid", false, "with -if: the same valid count for every class")
	seed := fs.Int64("seed", 1, "seed of the image choice")
	copyFiles := fs.Bool("copy", false, "copy images instead of linking them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	spec := datasets.SubsetSpec{ImbalanceFactor: *factor, MaxPerClass: *maxPer,
		ValidRatio: *validRatio, BalancedValid: *balanced, Seed: *seed}
	if *classes != "" {
		spec.Classes = strings.Split(*classes, ",")
	}
	ctx := context.Background()
	src := *from
	switch {
	case src != "" && fs.NArg() == 0:
	case src == "" && fs.NArg() == 1 && fs.Arg(0) == "cifar10":
		trainDir, testDir, err := datasets.CIFAR10Folders(ctx, nil, *cache)
		if err != nil {
			return err
		}
		fmt.Println("cifar10:", trainDir, testDir)
		src, spec.ValidFrom = trainDir, testDir
	case src == "" && fs.NArg() == 1:
		root, err := datasets.Fetch(ctx, nil, fs.Arg(0), *cache)
		if err != nil {
			return err
		}
		fmt.Println(fs.Arg(0)+":", root)
		src = root
	default:
		return fmt.Errorf("usage: fetch [flags] tf_flowers|cifar10, or fetch -from DIR -out DIR [flags]")
	}
	if *out == "" {
		return nil
	}
	sub, err := datasets.StudySubset(src, spec)
	if err != nil {
		return err
	}
	if err := sub.Write(*out, *copyFiles); err != nil {
		return err
	}
	train, valid := sub.Counts()
	fmt.Printf("study set %s: classes %v, train %v, valid %v\n", *out, sub.Classes, train, valid)
	return nil
}
