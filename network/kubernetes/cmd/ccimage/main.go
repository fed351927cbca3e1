// Command ccimage builds the container image of each healthledger chaincode server without a
// container daemon: it builds the static server binary (CGO_ENABLED=0, -trimpath) with the go
// command, puts it on an empty base as a non-root user (package ociimage) and writes, into -out:
//
//	NAME-cc.tar     the image as an OCI layout archive, tagged healthledger/NAME-cc:BUILD (ctr
//	                images import, kind load image-archive, podman load, skopeo oci-archive:)
//	NAME-cc.build   BUILD: the first 16 hex digits of the binary's SHA-256, which names the build in
//	                the image tag and in the chaincode package label (package.sh reads it)
//
// Usage: ccimage -root REPO -out DIR [-arch amd64] [-chaincodes consent,provenance,claims]
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/healthledger/healthledger/network/kubernetes/internal/ociimage"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "ccimage:", err)
		os.Exit(1)
	}
}

var chaincodeName = regexp.MustCompile(`^[a-z][a-z0-9]*$`)

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ccimage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", ".", "the healthledger repository")
	out := fs.String("out", "", "the folder the images are written to")
	arch := fs.String("arch", "amd64", "GOARCH of the image (amd64, arm64)")
	list := fs.String("chaincodes", "consent,provenance,claims", "the chaincodes, comma-separated")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("INVALID_ARGUMENT: %w", err)
	}
	if *out == "" || fs.NArg() > 0 {
		return errors.New("INVALID_ARGUMENT: usage: ccimage -root REPO -out DIR [-arch amd64] [-chaincodes consent,provenance,claims]")
	}
	if *arch != "amd64" && *arch != "arm64" {
		return fmt.Errorf("INVALID_ARGUMENT: -arch %q: amd64 or arm64", *arch)
	}
	var names []string
	for _, cc := range strings.Split(*list, ",") {
		if !chaincodeName.MatchString(cc) {
			return fmt.Errorf("INVALID_ARGUMENT: chaincode name %q", cc)
		}
		if _, err := os.Stat(filepath.Join(*root, "chaincode", cc, "cmd", cc+"-cc")); err != nil {
			return fmt.Errorf("INVALID_ARGUMENT: no server chaincode/%s/cmd/%s-cc under %s: %w", cc, cc, *root, err)
		}
		names = append(names, cc)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("making %s: %w", *out, err)
	}
	for _, cc := range names {
		if err := one(ctx, *root, *out, *arch, cc, stdout, stderr); err != nil {
			return err
		}
	}
	return nil
}

// one builds the image of chaincode cc.
func one(ctx context.Context, root, out, arch, cc string, stdout, stderr io.Writer) error {
	server := cc + "-cc"
	binPath := filepath.Join(out, server+".bin")
	defer os.Remove(binPath)
	absBin, err := filepath.Abs(binPath)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", binPath, err)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -X main.buildTag=",
		"-o", absBin, "./chaincode/"+cc+"/cmd/"+server)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building %s: %w", server, err)
	}
	bin, err := os.ReadFile(binPath)
	if err != nil {
		return fmt.Errorf("reading the %s binary: %w", server, err)
	}
	sum := sha256.Sum256(bin)
	build := hex.EncodeToString(sum[:])[:16]
	img, err := ociimage.Build(ociimage.Spec{Name: server, Binary: bin, Arch: arch})
	if err != nil {
		return err
	}
	ref := "healthledger/" + server + ":" + build
	if err := ociimage.Write(filepath.Join(out, server+".tar"), ref, img); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, server+".build"), []byte(build+"\n"), 0o644); err != nil {
		return fmt.Errorf("writing the build id of %s: %w", server, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return fmt.Errorf("the digest of %s: %w", server, err)
	}
	fmt.Fprintf(stdout, "%s  %s  %s (%d bytes binary)\n", ref, digest, filepath.Join(out, server+".tar"), len(bin))
	return nil
}
