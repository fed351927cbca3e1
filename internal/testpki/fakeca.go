package testpki

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Attribute is an attribute registered with an identity (the CA REST API's "attrs" entries).
type Attribute struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	ECert bool   `json:"ecert,omitempty"`
}

// AttributeRequest is an enrollment's "attr_reqs" entry.
type AttributeRequest struct {
	Name     string `json:"name"`
	Optional bool   `json:"optional,omitempty"`
}

type ecdsaSignature struct {
	R, S *big.Int
}

// FakeCA speaks the part of the Fabric CA REST API the SDK uses, and checks what a real CA checks:
// the enrollment secret, the CSR signature and common name, and the registrar's token signature.
type FakeCA struct {
	CA  *CA
	srv *httptest.Server

	caName     string
	mu         sync.Mutex
	identities map[string]caIdentity
}

type caIdentity struct {
	secret string
	attrs  []Attribute
}

// NewFakeCA starts an https Fabric CA on 127.0.0.1 that knows one registrar, admin:adminpw, and
// serves /api/v1/enroll and /api/v1/register for the CA named caName. Close it when done.
func NewFakeCA(caName string) (*FakeCA, error) {
	ca, err := NewCA("fake-ca")
	if err != nil {
		return nil, err
	}
	f := &FakeCA{CA: ca, caName: caName, identities: map[string]caIdentity{"admin": {secret: "adminpw"}}}
	srvCert, err := ca.IssueServer("localhost", "127.0.0.1")
	if err != nil {
		return nil, err
	}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	f.srv.TLS = &tls.Config{Certificates: []tls.Certificate{srvCert.TLS()}, MinVersion: tls.VersionTLS12}
	f.srv.StartTLS()
	return f, nil
}

// URL is the CA's https address.
func (f *FakeCA) URL() string { return f.srv.URL }

// Close stops the server.
func (f *FakeCA) Close() { f.srv.Close() }

func (f *FakeCA) reply(w http.ResponseWriter, status int, code int, result any, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	body := map[string]any{"success": status == http.StatusOK, "result": result, "errors": []any{}, "messages": []any{}}
	if status != http.StatusOK {
		body["errors"] = []map[string]any{{"code": code, "message": msg}}
	}
	_ = json.NewEncoder(w).Encode(body)
}

func (f *FakeCA) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil || r.Method != http.MethodPost {
		f.reply(w, http.StatusBadRequest, 5, nil, "bad request")
		return
	}
	switch r.URL.Path {
	case "/api/v1/enroll":
		f.enroll(w, r, body)
	case "/api/v1/register":
		f.register(w, r, body)
	default:
		f.reply(w, http.StatusNotFound, 0, nil, "no such endpoint")
	}
}

func (f *FakeCA) enroll(w http.ResponseWriter, r *http.Request, body []byte) {
	name, secret, ok := r.BasicAuth()
	f.mu.Lock()
	id, known := f.identities[name]
	f.mu.Unlock()
	if !ok || !known || id.secret != secret {
		f.reply(w, http.StatusUnauthorized, 20, nil, "Authentication failure")
		return
	}
	var req struct {
		Request  string             `json:"certificate_request"`
		CAName   string             `json:"CAName"`
		AttrReqs []AttributeRequest `json:"attr_reqs"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.CAName != f.caName {
		f.reply(w, http.StatusBadRequest, 5, nil, "bad body")
		return
	}
	block, _ := pem.Decode([]byte(req.Request))
	if block == nil {
		f.reply(w, http.StatusBadRequest, 31, nil, "bad CSR")
		return
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil || csr.CheckSignature() != nil || csr.Subject.CommonName != name {
		f.reply(w, http.StatusBadRequest, 77, nil, "CSR not signed or CN is not the enrollment id")
		return
	}
	attrs := map[string]string{}
	if len(req.AttrReqs) == 0 {
		for _, a := range id.attrs {
			if a.ECert {
				attrs[a.Name] = a.Value
			}
		}
	}
	for _, ar := range req.AttrReqs {
		found := false
		for _, a := range id.attrs {
			if a.Name == ar.Name {
				attrs[a.Name], found = a.Value, true
			}
		}
		if !found && !ar.Optional {
			f.reply(w, http.StatusBadRequest, 43, nil, "Attribute '"+ar.Name+"' was requested but the identity has none")
			return
		}
	}
	issued, err := f.CA.Sign(name, csr.PublicKey.(*ecdsa.PublicKey), nil, attrs)
	if err != nil {
		f.reply(w, http.StatusInternalServerError, 0, nil, err.Error())
		return
	}
	f.reply(w, http.StatusOK, 0, map[string]any{
		"Cert":       base64.StdEncoding.EncodeToString(issued.CertPEM),
		"ServerInfo": map[string]any{"CAName": f.caName, "CAChain": base64.StdEncoding.EncodeToString(f.CA.CertPEM)},
	}, "")
}

// VerifyToken checks a Fabric CA token the way the server does and returns the signer's name.
func VerifyToken(ca *CA, token, method, uri string, body []byte) (string, error) {
	b64cert, b64sig, ok := strings.Cut(token, ".")
	if !ok {
		return "", errors.New("token has no signature")
	}
	certPEM, err := base64.StdEncoding.DecodeString(b64cert)
	if err != nil {
		return "", err
	}
	sig, err := base64.StdEncoding.DecodeString(b64sig)
	if err != nil {
		return "", err
	}
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return "", errors.New("no certificate in token")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", err
	}
	if err := cert.CheckSignatureFrom(ca.Cert); err != nil {
		return "", fmt.Errorf("untrusted registrar certificate: %w", err)
	}
	payload := method + "." + base64.StdEncoding.EncodeToString([]byte(uri)) + "." +
		base64.StdEncoding.EncodeToString(body) + "." + b64cert
	digest := sha256.Sum256([]byte(payload))
	pub := cert.PublicKey.(*ecdsa.PublicKey)
	if !ecdsa.VerifyASN1(pub, digest[:], sig) {
		return "", errors.New("token signature does not verify")
	}
	var rs ecdsaSignature
	if _, err := asn1.Unmarshal(sig, &rs); err != nil {
		return "", err
	}
	half := new(big.Int).Rsh(pub.Curve.Params().N, 1)
	if rs.S.Cmp(half) > 0 {
		return "", errors.New("signature S is not low")
	}
	return cert.Subject.CommonName, nil
}

func (f *FakeCA) register(w http.ResponseWriter, r *http.Request, body []byte) {
	who, err := VerifyToken(f.CA, r.Header.Get("Authorization"), r.Method, r.URL.RequestURI(), body)
	if err != nil || who != "admin" {
		f.reply(w, http.StatusUnauthorized, 25, nil, fmt.Sprintf("Invalid token in authorization header: %v", err))
		return
	}
	var req struct {
		Name       string      `json:"id"`
		Secret     string      `json:"secret"`
		Attributes []Attribute `json:"attrs"`
		CAName     string      `json:"caname"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Name == "" || req.CAName != f.caName {
		f.reply(w, http.StatusBadRequest, 5, nil, "bad body")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.identities[req.Name]; ok {
		f.reply(w, http.StatusConflict, 74, nil, "Identity '"+req.Name+"' is already registered")
		return
	}
	secret := req.Secret
	if secret == "" {
		secret = "generated-" + req.Name
	}
	f.identities[req.Name] = caIdentity{secret: secret, attrs: req.Attributes}
	f.reply(w, http.StatusOK, 0, map[string]string{"secret": secret}, "")
}
