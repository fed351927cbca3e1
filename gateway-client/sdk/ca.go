package sdk

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/identity"
)

// CAClient speaks the Fabric CA REST API (enroll, reenroll, register, revoke) over https. It never
// runs fabric-ca-client.
type CAClient struct {
	base   *url.URL
	caName string
	http   *http.Client
}

// NewCAClient returns a client for the CA of a connection profile. The server's TLS certificate is
// verified against ca.TLSCACert.
func NewCAClient(ca CAEndpoint) (*CAClient, error) {
	pemData, err := os.ReadFile(ca.TLSCACert)
	if err != nil {
		return nil, fmt.Errorf("ca tls cert: %w", err)
	}
	return NewCAClientPEM(ca.URL, ca.Name, pemData)
}

// NewCAClientPEM is [NewCAClient] with the TLS CA certificate given as PEM.
func NewCAClientPEM(caURL, caName string, tlsCACertPEM []byte) (*CAClient, error) {
	u, err := url.Parse(caURL)
	if err != nil {
		return nil, fmt.Errorf("ca url: %w", err)
	}
	if u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("ca url %q: want https://host:port", caURL)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(tlsCACertPEM) {
		return nil, errors.New("ca tls cert: no certificate found")
	}
	transport := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &CAClient{
		base:   u,
		caName: caName,
		http:   &http.Client{Transport: transport, Timeout: 30 * time.Second},
	}, nil
}

// AttributeRequest asks for an attribute of the registered identity to be put in the certificate.
type AttributeRequest struct {
	Name string `json:"name"`
	// Optional: enrollment does not fail when the identity lacks the attribute.
	Optional bool `json:"optional,omitempty"`
}

// EnrollRequest is an enrollment: the identity's name and secret, and the attributes wanted in the
// certificate. Without AttrReqs, the CA includes the attributes registered with ecert=true.
type EnrollRequest struct {
	Name     string             `json:"name"`
	Secret   string             `json:"-"`
	AttrReqs []AttributeRequest `json:"attrReqs,omitempty"`
	// Hosts are extra subject alternative names (rarely needed for users).
	Hosts []string `json:"hosts,omitempty"`
}

// Attribute is an attribute registered with an identity. ECert puts it in enrollment certificates by
// default.
type Attribute struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	ECert bool   `json:"ecert,omitempty"`
}

// RegisterRequest registers an identity with the CA.
type RegisterRequest struct {
	Name string `json:"id"`
	// Type defaults to "client".
	Type string `json:"type"`
	// Secret, when empty, is chosen by [CAClient.Register]: 128 random bits (32 hex characters).
	Secret string `json:"secret,omitempty"`
	// MaxEnrollments 0 takes the CA's default (1 on network.sh's CAs: one enrolment per identity,
	// then [CAClient.Reenroll]); -1 means unlimited, which a CA with a limit refuses.
	MaxEnrollments int `json:"max_enrollments,omitempty"`
	// Affiliation defaults to the registrar's; "." is the root.
	Affiliation string      `json:"affiliation"`
	Attributes  []Attribute `json:"attrs,omitempty"`
}

// CAError is a failure reported by the CA. errors.Is matches ErrForbidden for authentication and
// authorization failures, ErrDuplicate for an identity already registered, ErrInvalidArgument for a
// bad request, ErrNotFound for an unknown CA or identity.
type CAError struct {
	Op         string
	HTTPStatus int
	// Code is the CA's error code (20 authentication failure, 74 already registered ...).
	Code    int
	Message string
}

// ErrEnrollmentRefused matches a CA's refusal of an enrollment's name and secret (CA code 20,
// "Authentication failure"). A Fabric CA gives the same answer, on purpose, for a wrong secret, an
// unknown name, and an identity that has used up its enrollments ("maximum enrollment allowance" in
// the CA's log; network.sh's CAs allow one): renew an enrolled identity with [CAClient.Reenroll]. It
// also matches [ErrForbidden].
var ErrEnrollmentRefused = errors.New("enrollment refused: a wrong secret, or the identity has used its enrollments (renew with reenroll)")

// caAuthFailure is the Fabric CA's code for every authentication failure it reports.
const caAuthFailure = 20

// Error describes the failure on one line.
func (e *CAError) Error() string {
	msg := fmt.Sprintf("ca %s: %s (http %d, ca code %d)", e.Op, e.Message, e.HTTPStatus, e.Code)
	switch {
	case e.Op == "enroll" && e.Code == caAuthFailure:
		msg += ": " + ErrEnrollmentRefused.Error()
	case e.Op == "reenroll" && e.Code == caAuthFailure:
		msg += ": the CA does not accept this certificate (revoked, expired, replaced by a reenroll that revoked it, or not issued by this CA)"
	}
	return msg
}

// Is maps the failure to the SDK sentinels.
func (e *CAError) Is(target error) bool {
	switch target {
	case ErrEnrollmentRefused:
		return e.Op == "enroll" && e.Code == caAuthFailure
	case ErrForbidden:
		return e.HTTPStatus == http.StatusUnauthorized || e.HTTPStatus == http.StatusForbidden
	case ErrDuplicate:
		return e.HTTPStatus == http.StatusConflict || e.Code == 74
	case ErrInvalidArgument:
		return e.HTTPStatus == http.StatusBadRequest
	case ErrNotFound:
		return e.HTTPStatus == http.StatusNotFound
	case ErrUnavailable:
		return e.HTTPStatus == http.StatusServiceUnavailable
	}
	return false
}

// caResponse is the CA's response envelope.
type caResponse struct {
	Success bool            `json:"success"`
	Result  json.RawMessage `json:"result"`
	Errors  []struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"errors"`
}

type caEnrollBody struct {
	Hosts    []string           `json:"hosts,omitempty"`
	Request  string             `json:"certificate_request"`
	Profile  string             `json:"profile"`
	Label    string             `json:"label"`
	CAName   string             `json:"CAName,omitempty"`
	AttrReqs []AttributeRequest `json:"attr_reqs,omitempty"`
}

type caEnrollResult struct {
	Cert       string `json:"Cert"`
	ServerInfo struct {
		CAName  string `json:"CAName"`
		CAChain string `json:"CAChain"`
	} `json:"ServerInfo"`
}

type caRegisterBody struct {
	RegisterRequest
	CAName string `json:"caname,omitempty"`
}

// Enroll generates a P-256 key, has the CA sign a certificate for it, and returns the credentials
// (not yet stored: see [Wallet.Put]). Info.Name is the enrollment name and Role and Subject come
// from the certificate's attributes; Info.MSPID and Info.Org are left for the caller. A CA with a
// limit on enrollments (network.sh's allow one) refuses the secret after that: the error then
// matches [ErrEnrollmentRefused]; renew with [CAClient.Reenroll].
func (c *CAClient) Enroll(ctx context.Context, req EnrollRequest) (*Credentials, error) {
	if err := checkName(req.Name); err != nil {
		return nil, fmt.Errorf("ca enroll: %w", err)
	}
	if req.Secret == "" {
		return nil, errors.New("ca enroll: empty secret")
	}
	key, body, err := c.enrollBody(req.Name, req.Hosts, req.AttrReqs)
	if err != nil {
		return nil, fmt.Errorf("ca enroll: %w", err)
	}
	httpReq, err := c.newPost(ctx, "enroll", body)
	if err != nil {
		return nil, fmt.Errorf("ca enroll: %w", err)
	}
	httpReq.SetBasicAuth(req.Name, req.Secret)
	var res caEnrollResult
	if err := c.do(httpReq, "enroll", &res); err != nil {
		return nil, err
	}
	creds, err := credentialsOf(res, key, IdentityInfo{Name: req.Name})
	if err != nil {
		return nil, fmt.Errorf("ca enroll: %w", err)
	}
	return creds, nil
}

// ReenrollRequest renews an enrolled identity. Without AttrReqs the CA includes the attributes
// registered with ecert=true.
type ReenrollRequest struct {
	AttrReqs []AttributeRequest
	// Hosts are extra subject alternative names (rarely needed for users).
	Hosts []string
}

// Reenroll renews an identity with a new key and certificate, authenticated by its current
// certificate and key (no secret): the Fabric CA's reenroll. The result keeps current's Info (name,
// org, MSP id), with Role and Subject from the new certificate; it is not yet stored (see
// [Wallet.Put], which replaces an entry atomically). The old certificate stays valid until it
// expires, or until revoked ([CAClient.RevokeSelf]).
func (c *CAClient) Reenroll(ctx context.Context, current *Credentials, req ReenrollRequest) (*Credentials, error) {
	if current == nil {
		return nil, errors.New("ca reenroll: no current credentials")
	}
	if err := current.Check(); err != nil {
		return nil, fmt.Errorf("ca reenroll: current credentials: %w", err)
	}
	cert, err := identity.CertificateFromPEM(current.Certificate)
	if err != nil {
		return nil, fmt.Errorf("ca reenroll: current certificate: %w", err)
	}
	name := cert.Subject.CommonName // the CA wants the enrollment id as the CSR's common name
	if err := checkName(name); err != nil {
		return nil, fmt.Errorf("ca reenroll: current certificate: %w", err)
	}
	key, body, err := c.enrollBody(name, req.Hosts, req.AttrReqs)
	if err != nil {
		return nil, fmt.Errorf("ca reenroll: %w", err)
	}
	httpReq, err := c.newPost(ctx, "reenroll", body)
	if err != nil {
		return nil, fmt.Errorf("ca reenroll: %w", err)
	}
	token, err := caToken(current, httpReq.Method, httpReq.URL.RequestURI(), body)
	if err != nil {
		return nil, fmt.Errorf("ca reenroll: %w", err)
	}
	httpReq.Header.Set("Authorization", token)
	var res caEnrollResult
	if err := c.do(httpReq, "reenroll", &res); err != nil {
		return nil, err
	}
	info := current.Info
	info.Role, info.Subject = "", ""
	if info.Name == "" {
		info.Name = name
	}
	creds, err := credentialsOf(res, key, info)
	if err != nil {
		return nil, fmt.Errorf("ca reenroll: %w", err)
	}
	return creds, nil
}

// RevokeSelf has the CA revoke creds' own certificate, authenticated by that certificate (an
// identity may revoke its own certificates; no registrar needed). After a [CAClient.Reenroll], it
// leaves the new certificate the only one the CA accepts for the identity's next reenroll. Peers do
// not ask the CA: the revoked certificate still signs transactions until it expires or the channel's
// MSP carries a CRL with it.
func (c *CAClient) RevokeSelf(ctx context.Context, creds *Credentials, reason string) error {
	if creds == nil {
		return errors.New("ca revoke: no credentials")
	}
	cert, err := identity.CertificateFromPEM(creds.Certificate)
	if err != nil {
		return fmt.Errorf("ca revoke: certificate: %w", err)
	}
	if reason == "" {
		reason = "superseded"
	}
	body, err := json.Marshal(struct {
		Serial string `json:"serial"`
		AKI    string `json:"aki"`
		Reason string `json:"reason"`
		CAName string `json:"caname,omitempty"`
	}{
		Serial: cert.SerialNumber.Text(16),
		AKI:    hex.EncodeToString(cert.AuthorityKeyId),
		Reason: reason,
		CAName: c.caName,
	})
	if err != nil {
		return fmt.Errorf("ca revoke: %w", err)
	}
	httpReq, err := c.newPost(ctx, "revoke", body)
	if err != nil {
		return fmt.Errorf("ca revoke: %w", err)
	}
	token, err := caToken(creds, httpReq.Method, httpReq.URL.RequestURI(), body)
	if err != nil {
		return fmt.Errorf("ca revoke: %w", err)
	}
	httpReq.Header.Set("Authorization", token)
	var res json.RawMessage
	return c.do(httpReq, "revoke", &res)
}

// enrollBody generates a P-256 key and the enroll/reenroll request body with a CSR for name.
func (c *CAClient) enrollBody(name string, hosts []string, attrReqs []AttributeRequest) (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:            pkix.Name{CommonName: name},
		SignatureAlgorithm: x509.ECDSAWithSHA256,
	}, key)
	if err != nil {
		return nil, nil, fmt.Errorf("csr: %w", err)
	}
	body, err := json.Marshal(caEnrollBody{
		Hosts:    hosts,
		Request:  string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER})),
		CAName:   c.caName,
		AttrReqs: attrReqs,
	})
	if err != nil {
		return nil, nil, err
	}
	return key, body, nil
}

// credentialsOf checks the CA's answer against key and returns the credentials, with info's names and
// the certificate's role and subject.
func credentialsOf(res caEnrollResult, key *ecdsa.PrivateKey, info IdentityInfo) (*Credentials, error) {
	certPEM, err := base64.StdEncoding.DecodeString(res.Cert)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, errors.New("the certificate is not for the key sent")
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	creds := &Credentials{
		Certificate: certPEM,
		PrivateKey:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
	if res.ServerInfo.CAChain != "" {
		if chain, err := base64.StdEncoding.DecodeString(res.ServerInfo.CAChain); err == nil {
			creds.CACerts = chain
		}
	}
	full, err := infoFromCert(info, certPEM)
	if err != nil {
		return nil, err
	}
	creds.Info = full
	return creds, nil
}

// NewSecret returns a new enrollment secret: 128 bits from crypto/rand as 32 hex characters.
func NewSecret() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("new secret: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Register registers an identity, authenticated as registrar (whose certificate must carry the
// hf.Registrar.* rights for the type and attributes asked), and returns the enrollment secret: the
// one asked, or else 128 random bits ([NewSecret]). Keep it where only the enrollee reads it.
func (c *CAClient) Register(ctx context.Context, registrar *Credentials, req RegisterRequest) (string, error) {
	if registrar == nil {
		return "", errors.New("ca register: no registrar")
	}
	if err := checkName(req.Name); err != nil {
		return "", fmt.Errorf("ca register: %w", err)
	}
	if req.Type == "" {
		req.Type = "client"
	}
	for _, a := range req.Attributes {
		if a.Name == "" {
			return "", errors.New("ca register: attribute with an empty name")
		}
	}
	if req.Secret == "" {
		// A Fabric CA would choose 12 characters (about 71 bits): too few for a secret that anyone who
		// reaches the CA's port may try.
		secret, err := NewSecret()
		if err != nil {
			return "", fmt.Errorf("ca register: %w", err)
		}
		req.Secret = secret
	}
	body, err := json.Marshal(caRegisterBody{RegisterRequest: req, CAName: c.caName})
	if err != nil {
		return "", fmt.Errorf("ca register: %w", err)
	}
	httpReq, err := c.newPost(ctx, "register", body)
	if err != nil {
		return "", fmt.Errorf("ca register: %w", err)
	}
	token, err := caToken(registrar, httpReq.Method, httpReq.URL.RequestURI(), body)
	if err != nil {
		return "", fmt.Errorf("ca register: %w", err)
	}
	httpReq.Header.Set("Authorization", token)
	var res struct {
		Secret string `json:"secret"`
	}
	if err := c.do(httpReq, "register", &res); err != nil {
		return "", err
	}
	if res.Secret == "" {
		return req.Secret, nil
	}
	return res.Secret, nil
}

func (c *CAClient) newPost(ctx context.Context, endpoint string, body []byte) (*http.Request, error) {
	u := c.base.JoinPath("api", "v1", endpoint)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

func (c *CAClient) do(req *http.Request, op string, out any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		if req.Context().Err() != nil {
			return fmt.Errorf("ca %s: %w", op, err) // the caller's deadline or cancellation
		}
		// The CA could not be reached (refused, reset, timed out): worth retrying later.
		return fmt.Errorf("ca %s: %w (%w)", op, ErrUnavailable, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("ca %s: read response: %w", op, err)
	}
	var env caResponse
	if err := json.Unmarshal(data, &env); err != nil {
		if resp.StatusCode/100 != 2 {
			return &CAError{Op: op, HTTPStatus: resp.StatusCode, Message: strings.TrimSpace(string(data))}
		}
		return fmt.Errorf("ca %s: response: %w", op, err)
	}
	if !env.Success || resp.StatusCode/100 != 2 {
		e := &CAError{Op: op, HTTPStatus: resp.StatusCode, Message: "request failed"}
		if len(env.Errors) > 0 {
			e.Code, e.Message = env.Errors[0].Code, env.Errors[0].Message
		}
		return e
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		return fmt.Errorf("ca %s: result: %w", op, err)
	}
	return nil
}

// caToken builds the Fabric CA token of a request signed by creds:
//
//	base64(cert PEM) "." base64(signature)
//
// where the signature is ECDSA (low-S, ASN.1) over SHA-256 of
//
//	method "." base64(uri) "." base64(body) "." base64(cert PEM)
func caToken(creds *Credentials, method, uri string, body []byte) (string, error) {
	key, err := identity.PrivateKeyFromPEM(creds.PrivateKey)
	if err != nil {
		return "", fmt.Errorf("registrar key: %w", err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return "", fmt.Errorf("registrar key: want ECDSA, got %T", key)
	}
	b64 := base64.StdEncoding.EncodeToString
	b64cert := b64(creds.Certificate)
	payload := method + "." + b64([]byte(uri)) + "." + b64(body) + "." + b64cert
	digest := sha256.Sum256([]byte(payload))
	sig, err := signLowS(ec, digest[:])
	if err != nil {
		return "", err
	}
	return b64cert + "." + b64(sig), nil
}

type ecdsaSignature struct {
	R, S *big.Int
}

// signLowS signs digest and normalizes S to the lower half of the curve order, as Fabric requires.
func signLowS(key *ecdsa.PrivateKey, digest []byte) ([]byte, error) {
	der, err := ecdsa.SignASN1(rand.Reader, key, digest)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	var sig ecdsaSignature
	if _, err := asn1.Unmarshal(der, &sig); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	n := key.Curve.Params().N
	half := new(big.Int).Rsh(n, 1)
	if sig.S.Cmp(half) > 0 {
		sig.S = new(big.Int).Sub(n, sig.S)
	}
	out, err := asn1.Marshal(sig)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return out, nil
}

// CAClient returns a client for the profile's CA.
func (p *Profile) CAClient() (*CAClient, error) {
	if p.CA == nil {
		return nil, fmt.Errorf("profile %s names no CA", p.path)
	}
	return NewCAClient(*p.CA)
}
