package kubernetes_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/healthledger/healthledger/network/kubernetes/internal/manifests"
)

var chaincodes = []string{"consent", "provenance", "claims"}

// tlsFiles writes a self-signed CA certificate and a client certificate with its key into dir.
func tlsFiles(t *testing.T, dir string) (ca, cert, key string) {
	t.Helper()
	write := func(name, kind string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return write("ca.crt", "CERTIFICATE", der), write("client.crt", "CERTIFICATE", der), write("client.key", "PRIVATE KEY", kder)
}

// fakeImages writes the build ids 'make k8s-images' leaves, as package.sh reads them.
func fakeImages(t *testing.T, dir string) map[string]string {
	t.Helper()
	builds := map[string]string{}
	for i, cc := range chaincodes {
		b := strings.Repeat(string(rune('a'+i)), 8) + "01234567"
		builds[cc] = b
		if err := os.WriteFile(filepath.Join(dir, cc+"-cc.build"), []byte(b+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return builds
}

func packageSh(args ...string) (string, int) {
	cmd := exec.Command("bash", append([]string{"package.sh"}, args...)...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		return err.Error(), -1
	}
	return string(out), 0
}

// unpack returns the files of a ccaas package: metadata.json, and the files of code.tar.gz under
// code/.
func unpack(t *testing.T, path string) map[string][]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	outer := untgz(t, raw)
	files := map[string][]byte{"metadata.json": outer["metadata.json"]}
	if len(outer) != 2 || outer["code.tar.gz"] == nil || outer["metadata.json"] == nil {
		t.Fatalf("%s: package files %v, want code.tar.gz and metadata.json", path, keys(outer))
	}
	for name, body := range untgz(t, outer["code.tar.gz"]) {
		files["code/"+name] = body
	}
	return files
}

func untgz(t *testing.T, raw []byte) map[string][]byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = body
	}
}

func keys(m map[string][]byte) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return k
}

func packageID(t *testing.T, label, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	return label + ":" + hex.EncodeToString(sum[:])
}

// Each overlay, deployed through the kustomization package.sh writes, renders strictly, passes the
// checks, and gives every server the id of its package, whose connection.json names its Service.
func TestPackagesNameTheServicesAndTheOverlaysCarryTheirIDs(t *testing.T) {
	for _, overlay := range []string{"fabric-operator", "hlf-operator"} {
		t.Run(overlay, func(t *testing.T) {
			dir := t.TempDir()
			ca, cert, key := tlsFiles(t, dir)
			builds := fakeImages(t, dir)
			out := filepath.Join(dir, "out")
			got, code := packageSh("--overlay", overlay, "--org", "org1", "--namespace", "hl-test", "--root-cert", ca,
				"--client-cert", cert, "--client-key", key, "--images", dir, "--registry", "registry.example/hl", "--out", out)
			if code != 0 {
				t.Fatalf("package.sh: exit %d: %s", code, got)
			}
			set, err := manifests.Render(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := set.Check(); err != nil {
				t.Fatal(err)
			}
			if len(set.Namespaces) != 1 || set.Namespaces[0].Name != "hl-test" {
				t.Fatalf("namespaces %v, want hl-test", set.Namespaces)
			}
			images := map[string]string{}
			for _, d := range set.Deployments {
				images[d.Name] = d.Spec.Template.Spec.Containers[0].Image
			}
			for _, f := range set.FabricChaincodes {
				images[f.Name] = f.Spec.Image
				if want := []string{f.Name, f.Name + ".hl-test", f.Name + ".hl-test.svc.cluster.local"}; f.Spec.Credentials.CSR == nil || !reflect.DeepEqual(f.Spec.Credentials.CSR.Hosts, want) {
					t.Errorf("%s: certificate hosts %v, want %v", f.Name, f.Spec.Credentials.CSR, want)
				}
			}
			for _, cc := range chaincodes {
				server := cc + "-cc"
				pkg := filepath.Join(out, "packages", cc+".tgz")
				label := cc + "_" + builds[cc] + "_org1"
				id, err := set.PackageID(server)
				if err != nil {
					t.Fatal(err)
				}
				if want := packageID(t, label, pkg); id != want {
					t.Errorf("%s: the server is given %q, the package's id is %q", server, id, want)
				}
				if want := "registry.example/hl/" + server + ":" + builds[cc]; images[server] != want {
					t.Errorf("%s: image %q, want %q", server, images[server], want)
				}
				files := unpack(t, pkg)
				var meta map[string]string
				if err := json.Unmarshal(files["metadata.json"], &meta); err != nil || meta["type"] != "ccaas" || meta["label"] != label {
					t.Fatalf("%s: metadata %s (%v)", cc, files["metadata.json"], err)
				}
				var conn map[string]any
				if err := json.Unmarshal(files["code/connection.json"], &conn); err != nil {
					t.Fatal(err)
				}
				if want := server + ".hl-test.svc.cluster.local:7052"; conn["address"] != want {
					t.Errorf("%s: address %v, want %s", cc, conn["address"], want)
				}
				if conn["client_auth_required"] != true || conn["client_cert"] == nil || conn["tls_required"] != true {
					t.Errorf("%s: connection %v is not mutual TLS", cc, conn)
				}
			}
			// The same input gives the same packages (and ids).
			again := filepath.Join(dir, "again")
			if got, code := packageSh("--overlay", overlay, "--org", "org1", "--namespace", "hl-test", "--root-cert", ca,
				"--client-cert", cert, "--client-key", key, "--images", dir, "--registry", "registry.example/hl", "--out", again); code != 0 {
				t.Fatalf("package.sh again: exit %d: %s", code, got)
			}
			for _, cc := range chaincodes {
				a, _ := os.ReadFile(filepath.Join(out, "packages", cc+".tgz"))
				b, _ := os.ReadFile(filepath.Join(again, "packages", cc+".tgz"))
				if len(a) == 0 || !bytes.Equal(a, b) {
					t.Errorf("%s: two runs gave different packages", cc)
				}
			}
		})
	}
}

// nativePackage builds the package network.sh deploy builds for org1's server of cc, through
// deploy.sh's own functions (cc_connection, then make_package's ccaas_pack), in target mode or, with
// mutual, in own-network mode, whose peer certificate is cert/key.
func nativePackage(t *testing.T, dir, cc, label, ca, cert, key string, mutual bool) string {
	t.Helper()
	netdir := filepath.Join(dir, "native-"+cc)
	tlsDir := filepath.Join(netdir, "ccaas", "org1", "tls")
	peerTLS := filepath.Join(netdir, "peer", "tls")
	for _, d := range []string{tlsDir, peerTLS} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for src, dst := range map[string]string{ca: filepath.Join(tlsDir, "ca.crt"), cert: filepath.Join(peerTLS, "server.crt"), key: filepath.Join(peerTLS, "server.key")} {
		raw, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mode := "target"
	if mutual {
		mode = "own"
	}
	script := `set -euo pipefail
HL_T0=0; ROOT=$1; NETDIR=$2; BIN=/nonexistent
source "$ROOT/test-network-scripts/lib/common.sh"
source "$ROOT/test-network-scripts/lib/deploy.sh"
peer_dir() { echo "$NETDIR/peer"; }
T_MODE=$3; declare -A T_CC_HOST=([org1]=127.0.0.1) T_CC_BASE=([org1]=12000); CC_PORT_INDEX=1
ccaas_pack "$NETDIR/pkg" "$5" "$(cc_connection org1 "$4")"`
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", "-c", script, "bash", root, netdir, mode, cc, label).CombinedOutput()
	if err != nil {
		t.Fatalf("the native packaging: %v: %s", err, out)
	}
	return filepath.Join(netdir, "pkg", "package.tgz")
}

// A Kubernetes package differs from the native one only in the address; with the peer's client
// certificate (mutual TLS) it differs from our own network's connection only there too.
func TestAKubernetesPackageDiffersFromTheNativeOneOnlyInItsAddress(t *testing.T) {
	dir := t.TempDir()
	ca, cert, key := tlsFiles(t, dir)
	builds := fakeImages(t, dir)
	for _, mutual := range []bool{false, true} {
		out := filepath.Join(dir, "k8s", map[bool]string{false: "server-tls", true: "mutual"}[mutual])
		args := []string{"--overlay", "fabric-operator", "--org", "org1", "--root-cert", ca, "--images", dir, "--out", out}
		if mutual {
			args = append(args, "--client-cert", cert, "--client-key", key)
		}
		if got, code := packageSh(args...); code != 0 {
			t.Fatalf("package.sh: exit %d: %s", code, got)
		}
		for _, cc := range chaincodes {
			label := cc + "_" + builds[cc] + "_org1"
			k8s := unpack(t, filepath.Join(out, "packages", cc+".tgz"))
			native := unpack(t, nativePackage(t, out, cc, label, ca, cert, key, mutual))
			if !reflect.DeepEqual(keys2(k8s), keys2(native)) || !bytes.Equal(k8s["metadata.json"], native["metadata.json"]) {
				t.Fatalf("%s: files %v / %v, metadata %s / %s", cc, keys2(k8s), keys2(native), k8s["metadata.json"], native["metadata.json"])
			}
			var kc, nc map[string]any
			if err := json.Unmarshal(k8s["code/connection.json"], &kc); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(native["code/connection.json"], &nc); err != nil {
				t.Fatal(err)
			}
			if kc["address"] != cc+"-cc.healthledger.svc.cluster.local:7052" || nc["address"] != "127.0.0.1:12001" {
				t.Fatalf("%s: addresses %v (Kubernetes) and %v (native)", cc, kc["address"], nc["address"])
			}
			if kc["client_auth_required"] != mutual {
				t.Fatalf("%s: client_auth_required %v, want %v", cc, kc["client_auth_required"], mutual)
			}
			delete(kc, "address")
			delete(nc, "address")
			if !reflect.DeepEqual(kc, nc) {
				t.Fatalf("%s: beyond the address the connections differ:\nKubernetes %v\nnative     %v", cc, kc, nc)
			}
		}
	}
}

func keys2(m map[string][]byte) map[string]bool {
	k := map[string]bool{}
	for n := range m {
		k[n] = true
	}
	return k
}

// The package id package.sh computes is the one the Fabric peer computes (when the peer binary is
// built here).
func TestThePackageIDIsThePeers(t *testing.T) {
	peer, err := filepath.Abs("../fabric/bin/peer")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(peer); err != nil {
		t.Skipf("no Fabric peer binary at %s (make fabric builds it): %v", peer, err)
	}
	dir := t.TempDir()
	ca, _, _ := tlsFiles(t, dir)
	fakeImages(t, dir)
	out := filepath.Join(dir, "out")
	if got, code := packageSh("--overlay", "hlf-operator", "--org", "org2", "--root-cert", ca, "--images", dir, "--out", out); code != 0 {
		t.Fatalf("package.sh: exit %d: %s", code, got)
	}
	ids, err := os.ReadFile(filepath.Join(out, "package-ids.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "core.yaml"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(ids)), "\n")
	if len(lines) != len(chaincodes) {
		t.Fatalf("package-ids.txt: %q", ids)
	}
	for _, line := range lines {
		cc, id, _ := strings.Cut(line, " ")
		cmd := exec.Command(peer, "lifecycle", "chaincode", "calculatepackageid", filepath.Join(out, "packages", cc+".tgz"))
		cmd.Env = append(os.Environ(), "FABRIC_CFG_PATH="+dir)
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: the peer: %v", cc, err)
		}
		if strings.TrimSpace(string(got)) != id {
			t.Errorf("%s: package.sh says %s, the peer %s", cc, id, got)
		}
	}
}

// Bad input is refused with a message and exit 2, and writes nothing.
func TestPackageShRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	ca, cert, _ := tlsFiles(t, dir)
	fakeImages(t, dir)
	ok := []string{"--overlay", "fabric-operator", "--org", "org1", "--root-cert", ca, "--images", dir}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--overlay", "openshift", "--org", "org1", "--root-cert", ca, "--images", dir}, "--overlay must be"},
		{append(ok, "--namespace", "Bad_NS"), "not a Kubernetes namespace name"},
		{[]string{"--overlay", "fabric-operator", "--org", "Org 1", "--root-cert", ca, "--images", dir}, "--org must be"},
		{[]string{"--overlay", "fabric-operator", "--org", "org1", "--root-cert", filepath.Join(dir, "none"), "--images", dir}, "--root-cert must name"},
		{append(ok, "--client-cert", cert), "--client-key must name"},
		{[]string{"--overlay", "fabric-operator", "--org", "org1", "--root-cert", ca, "--images", filepath.Join(dir, "none")}, "make k8s-images"},
		{append(ok, "--frobnicate", "x"), "unknown option"},
	}
	for _, c := range cases {
		out := filepath.Join(dir, "out")
		got, code := packageSh(append(c.args, "--out", out)...)
		if code != 2 || !strings.Contains(got, c.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 saying %q", c.args, code, got, c.want)
		}
		if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v: it wrote %s", c.args, out)
		}
	}
}
