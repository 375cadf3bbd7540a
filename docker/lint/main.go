// Command lint runs BuildKit's Dockerfile checks (the rules of
// `docker build --check`) without Docker or a registry: base images resolve
// to an empty Debian-like config. It exits 1 on any warning or error.
//
//	cd docker/lint && go run . ../Dockerfile
//
// A module of its own so the project's go.mod does not carry BuildKit.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/opencontainers/go-digest"
)

// offline answers every base image with a plain Debian-like config instead of asking a registry.
type offline struct{}

func (offline) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	cfg := `{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/go/bin:/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","GOPATH=/go"]},"rootfs":{"type":"layers","diff_ids":[]}}`
	return ref, digest.FromString(ref), []byte(cfg), nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: lint DOCKERFILE")
		os.Exit(2)
	}
	dt, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	sm := llb.NewSourceMap(nil, os.Args[1], "Dockerfile", dt)
	sm.Definition = &llb.Definition{}
	opt := dockerfile2llb.ConvertOpt{
		Config:       dockerui.Config{BuildArgs: map[string]string{}},
		SourceMap:    sm,
		MetaResolver: offline{},
	}
	res, err := dockerfile2llb.DockerfileLint(context.Background(), dt, opt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lint:", err)
		os.Exit(2)
	}
	if res.Error != nil {
		fmt.Printf("error: %s (line %v)\n", res.Error.Message, res.Error.Location.Ranges)
	}
	for _, w := range res.Warnings {
		fmt.Printf("%s: %s (%s) %v\n", w.RuleName, w.Detail, w.URL, w.Location.Ranges)
	}
	fmt.Printf("%s: %d warnings\n", os.Args[1], len(res.Warnings))
	if res.Error != nil || len(res.Warnings) > 0 {
		os.Exit(1)
	}
}
