// Package ociimage makes the container image of a chaincode server without a container daemon or a
// registry: one layer on an empty base holding the static server binary and the passwd and group
// entries of its non-root user, nothing else (no shell, no package manager, no libc). The image is
// reproducible: the same binary always gives the same digest.
package ociimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The user the server runs as, as the manifests' securityContext also says.
const (
	UID  = 65532
	User = "65532:65532"
	// Port is the port the manifests make the server listen on.
	Port = 7052
)

// Spec is what one image holds.
type Spec struct {
	// Name is the server's name, e.g. consent-cc; the binary is /usr/local/bin/NAME.
	Name string
	// Binary is the static server executable.
	Binary []byte
	// Arch is the binary's GOARCH (amd64, arm64).
	Arch string
}

// epoch is every timestamp in the image: a fixed one keeps the digest a function of the binary alone.
var epoch = time.Unix(0, 0).UTC()

// Build returns the image of spec.
func Build(spec Spec) (v1.Image, error) {
	if spec.Name == "" || len(spec.Binary) == 0 || spec.Arch == "" {
		return nil, fmt.Errorf("INVALID_ARGUMENT: an image needs a name, a binary and an architecture")
	}
	layerTar, err := rootfs(spec)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("making the layer of %s: %w", spec.Name, err)
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "healthledger ccimage: the static " + spec.Name + " binary"},
	})
	if err != nil {
		return nil, fmt.Errorf("adding the layer of %s: %w", spec.Name, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the config of %s: %w", spec.Name, err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", spec.Arch
	cfg.Created = v1.Time{Time: epoch}
	cfg.Config = v1.Config{
		User:         User,
		Entrypoint:   []string{"/usr/local/bin/" + spec.Name},
		WorkingDir:   "/",
		Env:          []string{"PATH=/usr/local/bin"},
		ExposedPorts: map[string]struct{}{fmt.Sprintf("%d/tcp", Port): {}},
		Labels: map[string]string{
			"org.opencontainers.image.title":  spec.Name,
			"org.opencontainers.image.vendor": "healthledger",
		},
	}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("setting the config of %s: %w", spec.Name, err)
	}
	return img, nil
}

// rootfs is the layer: /etc/passwd, /etc/group and the binary, owned by root and not writable, so
// the non-root server cannot change its own code.
func rootfs(spec Spec) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/nonexistent:/sbin/nologin\n", UID, UID)
	group := fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", UID)
	entries := []struct {
		name string
		mode int64
		body []byte
	}{
		{"etc/", 0o755, nil},
		{"etc/group", 0o444, []byte(group)},
		{"etc/passwd", 0o444, []byte(passwd)},
		{"usr/", 0o755, nil},
		{"usr/local/", 0o755, nil},
		{"usr/local/bin/", 0o755, nil},
		{"usr/local/bin/" + spec.Name, 0o555, spec.Binary},
	}
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, ModTime: epoch, Format: tar.FormatPAX, Typeflag: tar.TypeReg, Size: int64(len(e.body))}
		if e.body == nil {
			h.Typeflag = tar.TypeDir
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("writing %s into the layer: %w", e.name, err)
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, fmt.Errorf("writing %s into the layer: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("closing the layer: %w", err)
	}
	return buf.Bytes(), nil
}

// Write writes img to path as an OCI image layout archive (oci-layout, index.json, blobs/) whose
// index names the image ref, for ctr images import, kind load image-archive, podman load and skopeo
// (oci-archive:). The manifest is kept as built, so the digest a runtime shows is the one built.
func Write(path, ref string, img v1.Image) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("INVALID_ARGUMENT: image reference %q: %w", ref, err)
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".ociimage-")
	if err != nil {
		return fmt.Errorf("making a scratch folder beside %s: %w", path, err)
	}
	defer os.RemoveAll(dir)
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		return fmt.Errorf("writing an OCI layout: %w", err)
	}
	if err := lp.AppendImage(img, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": tag.TagStr(),
		// containerd's fully qualified name: docker.io/..., not the API host index.docker.io.
		"io.containerd.image.name": strings.Replace(tag.Name(), name.DefaultRegistry+"/", "docker.io/", 1),
	})); err != nil {
		return fmt.Errorf("writing the image %s: %w", ref, err)
	}
	if err := tarDir(dir, path); err != nil {
		return fmt.Errorf("writing the image %s to %s: %w", ref, path, err)
	}
	return nil
}

// tarDir writes the files under dir into the tar file path, in name order with fixed times and
// owners, so the archive is as reproducible as the image.
func tarDir(dir, path string) error {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("listing %s: %w", dir, err)
	}
	sort.Strings(names)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	tw := tar.NewWriter(f)
	werr := func() error {
		for _, p := range names {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return fmt.Errorf("naming %s: %w", p, err)
			}
			st, err := os.Stat(p)
			if err != nil {
				return fmt.Errorf("reading %s: %w", p, err)
			}
			h := &tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, ModTime: epoch, Typeflag: tar.TypeReg, Size: st.Size(), Format: tar.FormatPAX}
			if st.IsDir() {
				h.Name, h.Mode, h.Typeflag, h.Size = h.Name+"/", 0o755, tar.TypeDir, 0
			}
			if err := tw.WriteHeader(h); err != nil {
				return fmt.Errorf("writing %s: %w", rel, err)
			}
			if st.IsDir() {
				continue
			}
			body, err := os.ReadFile(p)
			if err != nil {
				return fmt.Errorf("reading %s: %w", p, err)
			}
			if _, err := tw.Write(body); err != nil {
				return fmt.Errorf("writing %s: %w", rel, err)
			}
		}
		return tw.Close()
	}()
	if cerr := f.Close(); werr == nil && cerr != nil {
		werr = fmt.Errorf("closing %s: %w", path, cerr)
	}
	return werr
}
