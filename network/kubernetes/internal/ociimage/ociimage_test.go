package ociimage_test

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/healthledger/healthledger/network/kubernetes/internal/ociimage"
)

func TestTheImageHoldsTheBinaryAsANonRootUserAndIsReproducible(t *testing.T) {
	spec := ociimage.Spec{Name: "consent-cc", Binary: []byte("\x7fELF not really"), Arch: "arm64"}
	path := filepath.Join(t.TempDir(), "consent-cc.tar")
	img, err := ociimage.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := ociimage.Write(path, "healthledger/consent-cc:abc", img); err != nil {
		t.Fatal(err)
	}
	back := readBack(t, path, "healthledger/consent-cc:abc")
	cfg, err := back.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Config.User != "65532:65532" || cfg.OS != "linux" || cfg.Architecture != "arm64" ||
		len(cfg.Config.Entrypoint) != 1 || cfg.Config.Entrypoint[0] != "/usr/local/bin/consent-cc" {
		t.Fatalf("config: user %q, %s/%s, entrypoint %v", cfg.Config.User, cfg.OS, cfg.Architecture, cfg.Config.Entrypoint)
	}
	layers, err := back.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("%d layers (%v), want 1", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	files := map[string]*tar.Header{}
	bodies := map[string]string{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name], bodies[h.Name] = h, string(body)
	}
	bin := files["usr/local/bin/consent-cc"]
	if bin == nil || bodies["usr/local/bin/consent-cc"] != string(spec.Binary) || bin.Mode != 0o555 || bin.Uid != 0 {
		t.Fatalf("the binary in the layer: %+v", bin)
	}
	if !strings.Contains(bodies["etc/passwd"], "nonroot:x:65532:65532:") || len(files) != 7 {
		t.Fatalf("layer files %v, passwd %q", len(files), bodies["etc/passwd"])
	}
	// The same binary gives the same digest; another binary another one.
	again, err := ociimage.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	spec.Binary = []byte("\x7fELF another")
	other, err := ociimage.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := img.Digest()
	d2, _ := again.Digest()
	d3, _ := other.Digest()
	dBack, _ := back.Digest()
	if d1 != d2 || d1 != dBack || d1 == d3 {
		t.Fatalf("digests: built %s, again %s, read back %s, other binary %s", d1, d2, dBack, d3)
	}
}

func TestAnImageNeedsABinaryANameAndAnArch(t *testing.T) {
	for _, s := range []ociimage.Spec{{Name: "x", Arch: "amd64"}, {Binary: []byte("b"), Arch: "amd64"}, {Name: "x", Binary: []byte("b")}} {
		if _, err := ociimage.Build(s); err == nil || !strings.Contains(err.Error(), "INVALID_ARGUMENT") {
			t.Errorf("%+v: got %v, want INVALID_ARGUMENT", s, err)
		}
	}
	img, err := ociimage.Build(ociimage.Spec{Name: "x", Binary: []byte("b"), Arch: "amd64"})
	if err != nil {
		t.Fatal(err)
	}
	if err := ociimage.Write(filepath.Join(t.TempDir(), "x.tar"), "Not A Ref", img); err == nil {
		t.Fatal("a bad image reference was accepted")
	}
}

// readBack unpacks the archive at path and returns the one image its index holds, checking the
// index names it ref.
func readBack(t *testing.T, path, ref string) v1.Image {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(dir, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			if err := os.MkdirAll(target, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(target, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil || len(m.Manifests) != 1 {
		t.Fatalf("index: %v manifests (%v), want 1", m, err)
	}
	if got := m.Manifests[0].Annotations["org.opencontainers.image.ref.name"]; got != ref[strings.LastIndex(ref, ":")+1:] {
		t.Fatalf("the index names the image %q, want the tag of %s", got, ref)
	}
	if got := m.Manifests[0].Annotations["io.containerd.image.name"]; got != "docker.io/"+ref {
		t.Fatalf("the index names the image %q for containerd, want %s", got, ref)
	}
	img, err := idx.Image(m.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return img
}
