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

// FakeCA speaks the part of the Fabric CA REST API the SDK uses (enroll, reenroll, register,
// revoke), and checks what a real CA checks: the enrollment secret and the number of enrollments, the
// CSR signature and common name, the token signatures, and revoked certificates.
type FakeCA struct {
	CA  *CA
	srv *httptest.Server

	caName         string
	mu             sync.Mutex
	identities     map[string]*caIdentity
	maxEnrollments int
	revoked        map[string]bool // serials, hex
}

type caIdentity struct {
	secret   string
	attrs    []Attribute
	enrolled int
}

// SetMaxEnrollments makes the CA refuse an identity's secret after n enrollments, as a Fabric CA
// with registry.maxenrollments n does (with the same "Authentication failure", code 20). n <= 0: no
// limit (the default).
func (f *FakeCA) SetMaxEnrollments(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.maxEnrollments = n
}

// NewFakeCA starts an https Fabric CA on 127.0.0.1 that knows one registrar, admin:adminpw, and
// serves /api/v1/enroll and /api/v1/register for the CA named caName. Close it when done.
func NewFakeCA(caName string) (*FakeCA, error) {
	ca, err := NewCA("fake-ca")
	if err != nil {
		return nil, err
	}
	f := &FakeCA{CA: ca, caName: caName, identities: map[string]*caIdentity{"admin": {secret: "adminpw"}},
		revoked: map[string]bool{}}
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
	case "/api/v1/reenroll":
		f.reenroll(w, r, body)
	case "/api/v1/revoke":
		f.revoke(w, r, body)
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
	refused := !ok || !known || id.secret != secret || (f.maxEnrollments > 0 && id.enrolled >= f.maxEnrollments)
	if !refused {
		id.enrolled++ // counted when the secret is accepted, as a Fabric CA does
	}
	f.mu.Unlock()
	if refused {
		f.reply(w, http.StatusUnauthorized, 20, nil, "Authentication failure")
		return
	}
	f.issue(w, name, id, body)
}

// reenroll authenticates the caller by its token (a certificate of this CA, not revoked) and issues
// a new certificate for the CSR, whose common name must be the caller's.
func (f *FakeCA) reenroll(w http.ResponseWriter, r *http.Request, body []byte) {
	who, serial, err := verifyTokenSerial(f.CA, r.Header.Get("Authorization"), r.Method, r.URL.RequestURI(), body)
	f.mu.Lock()
	id, known := f.identities[who]
	revoked := f.revoked[serial]
	f.mu.Unlock()
	if err != nil || !known || revoked {
		f.reply(w, http.StatusUnauthorized, 20, nil, "Authentication failure")
		return
	}
	f.issue(w, who, id, body)
}

// revoke lets a caller revoke its own certificate by serial and AKI (the admin: any certificate).
func (f *FakeCA) revoke(w http.ResponseWriter, r *http.Request, body []byte) {
	who, callerSerial, err := verifyTokenSerial(f.CA, r.Header.Get("Authorization"), r.Method, r.URL.RequestURI(), body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil || f.revoked[callerSerial] {
		f.reply(w, http.StatusUnauthorized, 20, nil, "Authentication failure")
		return
	}
	var req struct {
		Serial string `json:"serial"`
		AKI    string `json:"aki"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Serial == "" || req.AKI == "" {
		f.reply(w, http.StatusBadRequest, 5, nil, "bad body")
		return
	}
	if req.Serial != callerSerial && who != "admin" {
		f.reply(w, http.StatusUnauthorized, 71, nil, "Authorization failure")
		return
	}
	f.revoked[req.Serial] = true
	f.reply(w, http.StatusOK, 0, map[string]any{"RevokedCerts": []map[string]string{{"Serial": req.Serial, "AKI": req.AKI}}}, "")
}

// issue signs the request's CSR for the identity name.
func (f *FakeCA) issue(w http.ResponseWriter, name string, id *caIdentity, body []byte) {
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
	name, _, err := verifyTokenSerial(ca, token, method, uri, body)
	return name, err
}

// verifyTokenSerial is VerifyToken, which also returns the serial (hex) of the signer's certificate.
func verifyTokenSerial(ca *CA, token, method, uri string, body []byte) (string, string, error) {
	name, cert, err := verifyToken(ca, token, method, uri, body)
	if err != nil {
		return "", "", err
	}
	return name, cert.SerialNumber.Text(16), nil
}

func verifyToken(ca *CA, token, method, uri string, body []byte) (string, *x509.Certificate, error) {
	b64cert, b64sig, ok := strings.Cut(token, ".")
	if !ok {
		return "", nil, errors.New("token has no signature")
	}
	certPEM, err := base64.StdEncoding.DecodeString(b64cert)
	if err != nil {
		return "", nil, err
	}
	sig, err := base64.StdEncoding.DecodeString(b64sig)
	if err != nil {
		return "", nil, err
	}
	block, _ := pem.Decode(certPEM)
	if block == nil {
		return "", nil, errors.New("no certificate in token")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "", nil, err
	}
	if err := cert.CheckSignatureFrom(ca.Cert); err != nil {
		return "", nil, fmt.Errorf("untrusted registrar certificate: %w", err)
	}
	payload := method + "." + base64.StdEncoding.EncodeToString([]byte(uri)) + "." +
		base64.StdEncoding.EncodeToString(body) + "." + b64cert
	digest := sha256.Sum256([]byte(payload))
	pub := cert.PublicKey.(*ecdsa.PublicKey)
	if !ecdsa.VerifyASN1(pub, digest[:], sig) {
		return "", nil, errors.New("token signature does not verify")
	}
	var rs ecdsaSignature
	if _, err := asn1.Unmarshal(sig, &rs); err != nil {
		return "", nil, err
	}
	half := new(big.Int).Rsh(pub.Curve.Params().N, 1)
	if rs.S.Cmp(half) > 0 {
		return "", nil, errors.New("signature S is not low")
	}
	return cert.Subject.CommonName, cert, nil
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
	f.identities[req.Name] = &caIdentity{secret: secret, attrs: req.Attributes}
	f.reply(w, http.StatusOK, 0, map[string]string{"secret": secret}, "")
}
