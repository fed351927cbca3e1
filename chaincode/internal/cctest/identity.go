package cctest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// attrOID returns the x509 extension id (1.2.3.4.5.6.7.8.1) under which Fabric CA stores enrollment
// attributes, as JSON {"attrs":{"name":"value",...}}.
func attrOID() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1}
}

// Identity is a client identity: an x509 certificate signed by its MSP's test CA, carrying the
// Fabric CA attribute extension.
type Identity struct {
	MSPID   string
	Name    string            // the certificate's common name
	Attrs   map[string]string // the certificate's attributes; empty when it has none
	Cert    *x509.Certificate
	CertPEM []byte
	Key     *ecdsa.PrivateKey

	creator  []byte
	clientID string
}

// Creator returns the serialized msp.SerializedIdentity that GetCreator reports for this identity.
func (id *Identity) Creator() []byte { return clone(id.creator) }

// ClientID returns the id that cid (and contractapi's GetClientIdentity().GetID()) report for this
// identity: base64 of "x509::<subject DN>::<issuer DN>".
func (id *Identity) ClientID() string { return id.clientID }

// RoleAttrs returns the healthledger attributes {"role": role, "subject": subject}.
func RoleAttrs(role, subject string) map[string]string {
	return map[string]string{"role": role, "subject": subject}
}

type certAuthority struct {
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

// Identity makes a client identity of mspID with common name name and the given certificate
// attributes (nil or empty for a certificate without the attribute extension). The MSP's CA is
// generated on first use and kept for the Ledger's life.
func (l *Ledger) Identity(mspID, name string, attrs map[string]string) *Identity {
	l.tb.Helper()
	id, err := l.newIdentity(mspID, name, "client", attrs)
	if err != nil {
		l.tb.Fatalf("cctest: making identity %s of %s: %v", name, mspID, err)
		return nil
	}
	return id
}

// AdminIdentity makes an org admin of mspID: a certificate with the "admin" node OU and no attributes.
func (l *Ledger) AdminIdentity(mspID, name string) *Identity {
	l.tb.Helper()
	id, err := l.newIdentity(mspID, name, "admin", nil)
	if err != nil {
		l.tb.Fatalf("cctest: making admin %s of %s: %v", name, mspID, err)
		return nil
	}
	return id
}

// CACert returns the certificate of mspID's test CA, creating the CA if needed.
func (l *Ledger) CACert(mspID string) *x509.Certificate {
	l.tb.Helper()
	ca, err := l.ca(mspID)
	if err != nil {
		l.tb.Fatalf("cctest: making the CA of %s: %v", mspID, err)
		return nil
	}
	return ca.cert
}

func (l *Ledger) ca(mspID string) (*certAuthority, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ca, ok := l.cas[mspID]; ok {
		return ca, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the CA key: %w", err)
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	name := pkix.Name{CommonName: "ca." + strings.ToLower(mspID), Organization: []string{mspID}}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               name,
		NotBefore:             time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("signing the CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing the CA certificate: %w", err)
	}
	ca := &certAuthority{key: key, cert: cert}
	l.cas[mspID] = ca
	return ca, nil
}

func (l *Ledger) newIdentity(mspID, name, ou string, attrs map[string]string) (*Identity, error) {
	if mspID == "" || name == "" {
		return nil, fmt.Errorf("an identity needs an MSP id and a name")
	}
	ca, err := l.ca(mspID)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating the key: %w", err)
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name, OrganizationalUnit: []string{ou}},
		NotBefore:    time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:     time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	copied := map[string]string{}
	for k, v := range attrs {
		copied[k] = v
	}
	if len(copied) > 0 {
		raw, err := json.Marshal(struct {
			Attrs map[string]string `json:"attrs"`
		}{Attrs: copied})
		if err != nil {
			return nil, fmt.Errorf("encoding the attributes: %w", err)
		}
		tmpl.ExtraExtensions = []pkix.Extension{{Id: attrOID(), Value: raw}}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("signing the certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing the certificate: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	creator, err := proto.Marshal(&msp.SerializedIdentity{Mspid: mspID, IdBytes: certPEM})
	if err != nil {
		return nil, fmt.Errorf("serializing the identity: %w", err)
	}
	ci, err := cid.New(&stub{tx: &tx{creator: creator}})
	if err != nil {
		return nil, fmt.Errorf("reading the identity back: %w", err)
	}
	clientID, err := ci.GetID()
	if err != nil {
		return nil, fmt.Errorf("reading the identity's id: %w", err)
	}
	return &Identity{
		MSPID: mspID, Name: name, Attrs: copied, Cert: cert, CertPEM: certPEM, Key: key,
		creator: creator, clientID: clientID,
	}, nil
}

func serialNumber() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("generating a serial number: %w", err)
	}
	return n, nil
}
