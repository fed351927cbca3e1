// Package manifests renders healthledger's kustomize overlays and decodes every object strictly into
// its Kubernetes API type (or hlf-operator's FabricChaincode), refusing unknown fields and kinds, then
// checks what the chaincode servers need: probes, resources, a non-root read-only container, TLS from
// a Secret, the package id from an existing ConfigMap, and Services that reach the servers.
package manifests

import (
	"errors"
	"fmt"
	"strings"

	"github.com/healthledger/healthledger/network/kubernetes/internal/hlf"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// Set is the decoded output of one overlay, by kind.
type Set struct {
	Namespaces       []corev1.Namespace
	ConfigMaps       []corev1.ConfigMap
	Services         []corev1.Service
	Deployments      []appsv1.Deployment
	FabricChaincodes []hlf.FabricChaincode
}

// Render builds the kustomization in dir (kustomize's own library, as `kubectl kustomize` does) and
// decodes each object strictly.
func Render(dir string) (*Set, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", dir, err)
	}
	set := &Set{}
	for _, r := range m.Resources() {
		raw, err := r.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("rendering %s: %s %s: %w", dir, r.GetKind(), r.GetName(), err)
		}
		if err := set.add(r.GetApiVersion(), r.GetKind(), raw); err != nil {
			return nil, fmt.Errorf("%s: %s %s: %w", dir, r.GetKind(), r.GetName(), err)
		}
	}
	return set, nil
}

// strict decodes raw into v, refusing a field v's type does not declare and a duplicated field.
func strict(raw []byte, v any) error {
	if err := yaml.UnmarshalStrict(raw, v); err != nil {
		return fmt.Errorf("strict decoding: %w", err)
	}
	return nil
}

func (s *Set) add(apiVersion, kind string, raw []byte) error {
	switch apiVersion + " " + kind {
	case "v1 Namespace":
		var o corev1.Namespace
		if err := strict(raw, &o); err != nil {
			return err
		}
		s.Namespaces = append(s.Namespaces, o)
	case "v1 ConfigMap":
		var o corev1.ConfigMap
		if err := strict(raw, &o); err != nil {
			return err
		}
		s.ConfigMaps = append(s.ConfigMaps, o)
	case "v1 Service":
		var o corev1.Service
		if err := strict(raw, &o); err != nil {
			return err
		}
		s.Services = append(s.Services, o)
	case "apps/v1 Deployment":
		var o appsv1.Deployment
		if err := strict(raw, &o); err != nil {
			return err
		}
		s.Deployments = append(s.Deployments, o)
	case hlf.APIVersion + " " + hlf.Kind:
		var o hlf.FabricChaincode
		if err := strict(raw, &o); err != nil {
			return err
		}
		s.FabricChaincodes = append(s.FabricChaincodes, o)
	default:
		return fmt.Errorf("kind %s of %s is not one these manifests use", kind, apiVersion)
	}
	return nil
}

// ConfigMap returns the ConfigMap named name, or nil.
func (s *Set) ConfigMap(name string) *corev1.ConfigMap {
	for i := range s.ConfigMaps {
		if s.ConfigMaps[i].Name == name {
			return &s.ConfigMaps[i]
		}
	}
	return nil
}

// PackageID returns the package id the server named server (e.g. consent-cc) is given: the
// ConfigMap value its CORE_CHAINCODE_ID_NAME names.
func (s *Set) PackageID(server string) (string, error) {
	var env []corev1.EnvVar
	for _, d := range s.Deployments {
		if d.Name == server && len(d.Spec.Template.Spec.Containers) > 0 {
			env = d.Spec.Template.Spec.Containers[0].Env
		}
	}
	for _, f := range s.FabricChaincodes {
		if f.Name == server {
			env = f.Spec.Env
		}
	}
	for _, e := range env {
		if e.Name != "CORE_CHAINCODE_ID_NAME" {
			continue
		}
		if e.ValueFrom == nil || e.ValueFrom.ConfigMapKeyRef == nil {
			return "", fmt.Errorf("%s: CORE_CHAINCODE_ID_NAME does not come from a ConfigMap", server)
		}
		ref := e.ValueFrom.ConfigMapKeyRef
		cm := s.ConfigMap(ref.Name)
		if cm == nil {
			return "", fmt.Errorf("%s: CORE_CHAINCODE_ID_NAME names ConfigMap %s, which the overlay lacks", server, ref.Name)
		}
		v, ok := cm.Data[ref.Key]
		if !ok || v == "" {
			return "", fmt.Errorf("%s: ConfigMap %s has no %s", server, ref.Name, ref.Key)
		}
		return v, nil
	}
	return "", fmt.Errorf("%s: no server of that name, or it is given no CORE_CHAINCODE_ID_NAME", server)
}

// Check returns every way the set falls short of what a chaincode server needs; nil when none.
func (s *Set) Check() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if len(s.Deployments)+len(s.FabricChaincodes) == 0 {
		bad("no chaincode server in the overlay")
	}
	for _, d := range s.Deployments {
		pod := d.Spec.Template.Spec
		if d.Spec.Selector == nil || !subset(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
			bad("Deployment %s: its selector does not select its pods", d.Name)
		}
		if p := pod.SecurityContext; p == nil || p.RunAsNonRoot == nil || !*p.RunAsNonRoot {
			bad("Deployment %s: the pod does not require a non-root user", d.Name)
		}
		secrets := map[string]string{}
		for _, v := range pod.Volumes {
			if v.Secret != nil {
				secrets[v.Name] = v.Secret.SecretName
			}
		}
		if len(pod.Containers) != 1 {
			bad("Deployment %s: %d containers, want 1", d.Name, len(pod.Containers))
			continue
		}
		c := pod.Containers[0]
		checkContainer(bad, "Deployment "+d.Name, c.SecurityContext, &c.Resources, c.Env)
		if c.ReadinessProbe == nil || c.LivenessProbe == nil {
			bad("Deployment %s: no readiness or no liveness probe", d.Name)
		} else {
			for _, p := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe} {
				if p.TCPSocket == nil && p.GRPC == nil {
					bad("Deployment %s: a probe that is neither tcpSocket nor grpc (the server speaks gRPC over TLS)", d.Name)
				}
			}
		}
		tlsFromSecret := false
		for _, m := range c.VolumeMounts {
			if secrets[m.Name] != "" {
				tlsFromSecret = m.ReadOnly && strings.Contains(envValue(c.Env, "CORE_TLS_CLIENT_KEY_FILE"), m.MountPath+"/")
			}
		}
		if !tlsFromSecret || envValue(c.Env, "CORE_PEER_TLS_ENABLED") != "true" || envValue(c.Env, "CORE_PEER_TLS_ROOTCERT_FILE") == "" {
			bad("Deployment %s: TLS (with a client CA) is not read from a Secret mounted read-only", d.Name)
		}
		if _, err := s.PackageID(d.Name); err != nil {
			errs = append(errs, err)
		}
		if !s.reaches(d, c) {
			bad("Deployment %s: no Service selects its pods on a port it serves", d.Name)
		}
	}
	for _, f := range s.FabricChaincodes {
		checkContainer(bad, "FabricChaincode "+f.Name, f.Spec.SecurityContext, f.Spec.Resources, f.Spec.Env)
		if p := f.Spec.PodSecurityContext; p == nil || p.RunAsNonRoot == nil || !*p.RunAsNonRoot {
			bad("FabricChaincode %s: the pod does not require a non-root user", f.Name)
		}
		if f.Spec.Image == "" || f.Spec.Credentials == nil {
			bad("FabricChaincode %s: no image or no TLS credentials", f.Name)
		}
		id, err := s.PackageID(f.Name)
		if err != nil {
			errs = append(errs, err)
		} else if id != f.Spec.PackageID {
			bad("FabricChaincode %s: packageId %q but the server is given %q", f.Name, f.Spec.PackageID, id)
		}
	}
	return errors.Join(errs...)
}

func checkContainer(bad func(string, ...any), what string, sc *corev1.SecurityContext, res *corev1.ResourceRequirements, env []corev1.EnvVar) {
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" {
		bad("%s: the container is not read-only, without privilege escalation, with every capability dropped", what)
	}
	if res == nil || res.Requests.Cpu().IsZero() || res.Requests.Memory().IsZero() || res.Limits.Cpu().IsZero() || res.Limits.Memory().IsZero() {
		bad("%s: cpu and memory requests and limits are not all set", what)
	}
	for _, name := range []string{"CORE_TLS_CLIENT_KEY_FILE", "CORE_TLS_CLIENT_CERT_FILE"} {
		if envValue(env, name) == "" {
			bad("%s: %s is not set", what, name)
		}
	}
}

// reaches says whether a Service selects d's pods and sends to a port its container serves.
func (s *Set) reaches(d appsv1.Deployment, c corev1.Container) bool {
	for _, svc := range s.Services {
		if len(svc.Spec.Selector) == 0 || !subset(svc.Spec.Selector, d.Spec.Template.Labels) {
			continue
		}
		for _, p := range svc.Spec.Ports {
			for _, cp := range c.Ports {
				if p.TargetPort.String() == cp.Name || p.TargetPort.IntValue() == int(cp.ContainerPort) {
					return true
				}
			}
		}
	}
	return false
}

func subset(sub, of map[string]string) bool {
	if len(sub) == 0 {
		return false
	}
	for k, v := range sub {
		if of[k] != v {
			return false
		}
	}
	return true
}

func envValue(env []corev1.EnvVar, name string) string {
	for _, e := range env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}
