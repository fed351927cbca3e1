package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

// readersPolicy is OR(admin, peer) of mspID, as configtxgen writes it.
func readersPolicy(t *testing.T, mspID string) *common.ConfigPolicy {
	t.Helper()
	var ids []*msp.MSPPrincipal
	for _, role := range []msp.MSPRole_MSPRoleType{msp.MSPRole_ADMIN, msp.MSPRole_PEER} {
		p, err := proto.Marshal(&msp.MSPRole{MspIdentifier: mspID, Role: role})
		require.NoError(t, err)
		ids = append(ids, &msp.MSPPrincipal{PrincipalClassification: msp.MSPPrincipal_ROLE, Principal: p})
	}
	env := &common.SignaturePolicyEnvelope{Identities: ids, Rule: &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{N: 1, Rules: []*common.SignaturePolicy{
		{Type: &common.SignaturePolicy_SignedBy{SignedBy: 0}}, {Type: &common.SignaturePolicy_SignedBy{SignedBy: 1}},
	}}}}}
	raw, err := proto.Marshal(env)
	require.NoError(t, err)
	return &common.ConfigPolicy{ModPolicy: "Admins", Policy: &common.Policy{Type: int32(common.Policy_SIGNATURE), Value: raw}}
}

// genesisBlock is a genesis block whose Application group holds the orgs, each with its Readers.
func genesisBlock(t *testing.T, orgs ...string) []byte {
	t.Helper()
	app := &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{}}
	for _, o := range orgs {
		app.Groups[o] = &common.ConfigGroup{Policies: map[string]*common.ConfigPolicy{"Readers": readersPolicy(t, o)}}
	}
	cfg := &common.ConfigEnvelope{Config: &common.Config{ChannelGroup: &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{"Application": app}}}}
	data, err := proto.Marshal(cfg)
	require.NoError(t, err)
	payload, err := proto.Marshal(&common.Payload{Header: &common.Header{}, Data: data})
	require.NoError(t, err)
	envl, err := proto.Marshal(&common.Envelope{Payload: payload})
	require.NoError(t, err)
	b := &common.Block{Header: &common.BlockHeader{Number: 0}, Data: &common.BlockData{Data: [][]byte{envl}}}
	raw, err := proto.Marshal(b)
	require.NoError(t, err)
	return raw
}

// readers decodes the Readers policy of org from a block.
func readers(t *testing.T, block []byte, org string) (*common.Block, *common.SignaturePolicyEnvelope) {
	t.Helper()
	var b common.Block
	require.NoError(t, proto.Unmarshal(block, &b))
	var envl common.Envelope
	require.NoError(t, proto.Unmarshal(b.Data.Data[0], &envl))
	var payload common.Payload
	require.NoError(t, proto.Unmarshal(envl.Payload, &payload))
	var cfg common.ConfigEnvelope
	require.NoError(t, proto.Unmarshal(payload.Data, &cfg))
	cp := cfg.Config.ChannelGroup.Groups["Application"].Groups[org].Policies["Readers"]
	var env common.SignaturePolicyEnvelope
	require.NoError(t, proto.Unmarshal(cp.Policy.Value, &env))
	return &b, &env
}

// selfSignedCA makes a self-signed ECDSA CA certificate in PEM.
func selfSignedCA(t *testing.T) ([]byte, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), cert
}

func TestReadersOUAddsTheOUPrincipalAndRecomputesTheDataHash(t *testing.T) {
	caPEM, ca := selfSignedCA(t)
	in := genesisBlock(t, "HospitalMSP", "PharmaMSP")
	out, err := addReadersOU(in, "events", map[string][]byte{"HospitalMSP": caPEM})
	require.NoError(t, err)

	b, env := readers(t, out, "HospitalMSP")
	require.Len(t, env.Identities, 3)
	last := env.Identities[2]
	require.Equal(t, msp.MSPPrincipal_ORGANIZATION_UNIT, last.PrincipalClassification)
	var unit msp.OrganizationUnit
	require.NoError(t, proto.Unmarshal(last.Principal, &unit))
	require.Equal(t, "HospitalMSP", unit.MspIdentifier)
	require.Equal(t, "events", unit.OrganizationalUnitIdentifier)
	der, err := lowSCertificate(ca)
	require.NoError(t, err)
	want := sha256.Sum256(der)
	require.Equal(t, want[:], unit.CertifiersIdentifier)

	// OR(the old rule, the OU)
	top := env.Rule.GetNOutOf()
	require.NotNil(t, top)
	require.Equal(t, int32(1), top.N)
	require.Len(t, top.Rules, 2)
	require.Len(t, top.Rules[0].GetNOutOf().GetRules(), 2, "the old rule is kept whole")
	require.Equal(t, int32(2), top.Rules[1].GetSignedBy())

	sum := sha256.Sum256(bytes.Join(b.Data.Data, nil))
	require.Equal(t, sum[:], b.Header.DataHash)

	_, other := readers(t, out, "PharmaMSP")
	require.Len(t, other.Identities, 2, "an org not named is unchanged")

	again, err := addReadersOU(out, "events", map[string][]byte{"HospitalMSP": caPEM})
	require.NoError(t, err)
	_, env2 := readers(t, again, "HospitalMSP")
	require.Len(t, env2.Identities, 3, "running it again adds nothing")
}

func TestReadersOURefusesWhatItCannotRewrite(t *testing.T) {
	caPEM, _ := selfSignedCA(t)
	in := genesisBlock(t, "HospitalMSP")
	_, err := addReadersOU(in, "events", map[string][]byte{"InsurerMSP": caPEM})
	require.ErrorContains(t, err, "no org InsurerMSP")
	_, err = addReadersOU(in, "events", map[string][]byte{"HospitalMSP": []byte("not a certificate")})
	require.ErrorContains(t, err, "no PEM certificate")
	_, err = addReadersOU([]byte("garbage"), "events", map[string][]byte{"HospitalMSP": caPEM})
	require.Error(t, err)
	var b common.Block
	require.NoError(t, proto.Unmarshal(in, &b))
	b.Header.Number = 3
	notGenesis, err := proto.Marshal(&b)
	require.NoError(t, err)
	_, err = addReadersOU(notGenesis, "events", map[string][]byte{"HospitalMSP": caPEM})
	require.ErrorContains(t, err, "not a genesis block")
}

func TestLowSCertificateRewritesAHighSSignatureOnly(t *testing.T) {
	_, ca := selfSignedCA(t)
	var sig struct{ R, S *big.Int }
	_, err := asn1.Unmarshal(ca.Signature, &sig)
	require.NoError(t, err)
	n := elliptic.P256().Params().N
	half := new(big.Int).Rsh(n, 1)

	// Make both forms of the certificate: the one with S low and the one with S high.
	var c struct {
		TBS       asn1.RawValue
		Algorithm pkix.AlgorithmIdentifier
		Signature asn1.BitString
	}
	_, err = asn1.Unmarshal(ca.Raw, &c)
	require.NoError(t, err)
	withS := func(s *big.Int) *x509.Certificate {
		raw, err := asn1.Marshal(struct{ R, S *big.Int }{sig.R, s})
		require.NoError(t, err)
		c.Signature = asn1.BitString{Bytes: raw, BitLength: 8 * len(raw)}
		der, err := asn1.Marshal(c)
		require.NoError(t, err)
		cert, err := x509.ParseCertificate(der)
		require.NoError(t, err)
		return cert
	}
	low, high := sig.S, new(big.Int).Sub(n, sig.S)
	if low.Cmp(half) > 0 {
		low, high = high, low
	}
	lowCert, highCert := withS(low), withS(high)
	require.NoError(t, highCert.CheckSignatureFrom(highCert), "both forms verify")

	got, err := lowSCertificate(lowCert)
	require.NoError(t, err)
	require.Equal(t, lowCert.Raw, got, "a low-S certificate is kept as it is")
	got, err = lowSCertificate(highCert)
	require.NoError(t, err)
	require.Equal(t, lowCert.Raw, got, "a high-S certificate becomes its low-S form")
}
