// Package hlf holds the part of hyperledger-labs/hlf-operator's FabricChaincode resource
// (hlf.kungfusoftware.es/v1alpha1) that healthledger's manifests use, written from the operator's CRD
// so that a manifest can be decoded strictly: a field not declared here is refused, which catches a
// misspelt or misplaced field before an operator sees it.
package hlf

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Group, Version and Kind of the resource.
const (
	APIVersion = "hlf.kungfusoftware.es/v1alpha1"
	Kind       = "FabricChaincode"
)

// FabricChaincode asks the operator for a chaincode server: it makes a Deployment and a Service
// named after the resource, and a Secret NAME-certs with the server's TLS material.
type FabricChaincode struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              FabricChaincodeSpec `json:"spec"`
}

// FabricChaincodeSpec is the desired state (the fields used here).
type FabricChaincodeSpec struct {
	Image           string            `json:"image"`
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`
	// PackageID is the chaincode package id; the operator passes it to the server.
	PackageID           string                       `json:"packageId"`
	Replicas            int                          `json:"replicas,omitempty"`
	ChaincodeServerPort int                          `json:"chaincodeServerPort,omitempty"`
	EnableServiceLinks  bool                         `json:"enableServiceLinks"`
	Credentials         *Credentials                 `json:"credentials,omitempty"`
	Env                 []corev1.EnvVar              `json:"env,omitempty"`
	Resources           *corev1.ResourceRequirements `json:"resources,omitempty"`
	PodSecurityContext  *corev1.PodSecurityContext   `json:"podSecurityContext,omitempty"`
	SecurityContext     *corev1.SecurityContext      `json:"securityContext,omitempty"`
}

// Credentials tell the operator where to enroll the server's TLS certificate: a Fabric CA.
type Credentials struct {
	CAHost       string `json:"cahost"`
	CAName       string `json:"caname"`
	CAPort       int    `json:"caport"`
	CATLS        CATLS  `json:"catls"`
	CSR          *CSR   `json:"csr,omitempty"`
	EnrollID     string `json:"enrollid"`
	EnrollSecret string `json:"enrollsecret"`
}

// CATLS is the CA's own TLS certificate, base64 of its PEM.
type CATLS struct {
	CACert string `json:"cacert"`
}

// CSR names what the enrolled certificate holds.
type CSR struct {
	Hosts []string `json:"hosts,omitempty"`
	CN    string   `json:"cn,omitempty"`
}
