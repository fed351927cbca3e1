package manifests_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/network/kubernetes/internal/manifests"
)

var servers = []string{"consent-cc", "provenance-cc", "claims-cc"}

// Every overlay renders, every object decodes strictly and the chaincode servers pass the checks.
func TestEveryOverlayRendersAndDecodesStrictly(t *testing.T) {
	dirs, err := filepath.Glob("../../overlays/*")
	if err != nil || len(dirs) != 2 {
		t.Fatalf("want the two overlays, got %v (%v)", dirs, err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			set, err := manifests.Render(dir)
			if err != nil {
				t.Fatal(err)
			}
			if err := set.Check(); err != nil {
				t.Fatal(err)
			}
			if len(set.Namespaces) != 1 || set.Namespaces[0].Name != "healthledger" {
				t.Fatalf("namespaces %v, want healthledger", set.Namespaces)
			}
			for _, name := range servers {
				id, err := set.PackageID(name)
				if err != nil {
					t.Fatal(err)
				}
				if want := strings.TrimSuffix(name, "-cc") + ":unbuilt"; id != want {
					t.Errorf("%s: package id %q, want the placeholder %q", name, id, want)
				}
			}
			switch filepath.Base(dir) {
			case "fabric-operator":
				if len(set.Deployments) != 3 || len(set.Services) != 3 || len(set.FabricChaincodes) != 0 {
					t.Fatalf("%d Deployments, %d Services, %d FabricChaincodes; want 3, 3, 0", len(set.Deployments), len(set.Services), len(set.FabricChaincodes))
				}
				for _, d := range set.Deployments {
					if d.Namespace != "healthledger" {
						t.Errorf("Deployment %s in namespace %q", d.Name, d.Namespace)
					}
				}
			case "hlf-operator":
				if len(set.FabricChaincodes) != 3 || len(set.Deployments) != 0 {
					t.Fatalf("%d FabricChaincodes, %d Deployments; want 3, 0", len(set.FabricChaincodes), len(set.Deployments))
				}
				for _, f := range set.FabricChaincodes {
					if f.Spec.ChaincodeServerPort != 7052 || f.Namespace != "healthledger" {
						t.Errorf("FabricChaincode %s: port %d, namespace %q", f.Name, f.Spec.ChaincodeServerPort, f.Namespace)
					}
				}
			default:
				t.Fatalf("an overlay this test does not know: %s", dir)
			}
		})
	}
}

// A manifest with a field its type lacks, or a kind the overlays never use, is refused; so is one
// that decodes but falls short of what a server needs.
func TestBrokenManifestsAreRefused(t *testing.T) {
	cases := map[string]string{
		"deployment-unknown-field":      "strict decoding",
		"fabricchaincode-unknown-field": "strict decoding",
		"unknown-kind":                  "not one these manifests use",
		"no-probes":                     "no readiness or no liveness probe",
		"writable-root":                 "not read-only",
		"missing-configmap":             "which the overlay lacks",
	}
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(cases) {
		t.Fatalf("testdata holds %d cases, the test knows %d", len(entries), len(cases))
	}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			set, err := manifests.Render(filepath.Join("testdata", name))
			if err == nil {
				err = set.Check()
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("got %v, want an error saying %q", err, want)
			}
		})
	}
}
