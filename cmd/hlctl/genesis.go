package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/protobuf/proto"
)

const readersOULong = `Adds an organisational-unit principal to the Readers policy of each named org in a channel's
genesis block, which configtxgen cannot write (its policy language knows only roles: member, admin,
client, peer, orderer). A certificate of the org that carries the OU (for example an "events"
service identity enrolled with that affiliation) then satisfies the org's Readers, while other
client certificates do not. Each org's Readers must be a signature policy; its rule becomes
OR(<old rule>, <the OU>). The block's data hash is computed again. The principal names the OU and
the hash of the org's CA certificate (the certifiers identifier Fabric's MSP compares), so --org gives
the CA certificate that issues the org's client certificates.

network.sh up runs it on the genesis block before any node joins the channel.`

// readersOUCommand is `hlctl network readers-ou`.
func readersOUCommand(env *Env) *cobra.Command {
	var block, ou string
	var orgs *[]string
	cmd := command("readers-ou --block <file> --ou <name> --org <msp-id>=<ca-cert> ...",
		"add an OU principal to orgs' Readers policies in a genesis block",
		func(fs *pflag.FlagSet) Runner {
			fs.StringVar(&block, "block", "", "the genesis block `file`, rewritten in place")
			fs.StringVar(&ou, "ou", "", "the organisational unit `name` (e.g. events)")
			orgs = fs.StringArray("org", nil, "an org as `msp-id=ca-cert-file` (repeat)")
			return func(_ context.Context, args []string) error {
				if len(args) != 0 || block == "" || ou == "" || len(*orgs) == 0 {
					return Usagef("network readers-ou: --block, --ou and at least one --org, and no arguments")
				}
				cas := map[string][]byte{}
				for _, kv := range *orgs {
					id, file, err := splitFact("org", kv)
					if err != nil {
						return err
					}
					raw, err := os.ReadFile(file)
					if err != nil {
						return fmt.Errorf("the CA certificate of %s: %w", id, err)
					}
					cas[id] = raw
				}
				raw, err := os.ReadFile(block)
				if err != nil {
					return fmt.Errorf("genesis block: %w", err)
				}
				out, err := addReadersOU(raw, ou, cas)
				if err != nil {
					return fmt.Errorf("genesis block %s: %w", block, err)
				}
				if err := writeFileReplace(block, out); err != nil {
					return err
				}
				return env.Print(struct {
					Block string   `json:"block"`
					OU    string   `json:"ou"`
					Orgs  []string `json:"orgs"`
				}{block, ou, *orgs})
			}
		})
	cmd.Long = readersOULong
	return cmd
}

// writeFileReplace replaces path with data through a temporary file and a rename.
func writeFileReplace(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	return nil
}

// addReadersOU rewrites a genesis block: in each org of cas (MSP id -> PEM CA certificate) under the
// Application group, the Readers signature policy becomes OR(old rule, OU ou certified by that CA).
// Every org of cas must be found.
func addReadersOU(blockBytes []byte, ou string, cas map[string][]byte) ([]byte, error) {
	var b common.Block
	if err := proto.Unmarshal(blockBytes, &b); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if b.GetHeader().GetNumber() != 0 || len(b.GetData().GetData()) != 1 {
		return nil, errors.New("not a genesis block (want block 0 with one envelope)")
	}
	var envl common.Envelope
	if err := proto.Unmarshal(b.Data.Data[0], &envl); err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	var payload common.Payload
	if err := proto.Unmarshal(envl.Payload, &payload); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	var cfgEnv common.ConfigEnvelope
	if err := proto.Unmarshal(payload.Data, &cfgEnv); err != nil {
		return nil, fmt.Errorf("config envelope: %w", err)
	}
	app := cfgEnv.GetConfig().GetChannelGroup().GetGroups()["Application"]
	if app == nil {
		return nil, errors.New("no Application group")
	}
	for mspID, caPEM := range cas {
		org := app.Groups[mspID]
		if org == nil {
			return nil, fmt.Errorf("no org %s in the Application group", mspID)
		}
		certifiers, err := certifiersIdentifier(caPEM)
		if err != nil {
			return nil, fmt.Errorf("the CA certificate of %s: %w", mspID, err)
		}
		if err := addOUToReaders(org, mspID, ou, certifiers); err != nil {
			return nil, fmt.Errorf("org %s: %w", mspID, err)
		}
	}
	det := proto.MarshalOptions{Deterministic: true}
	var err error
	if payload.Data, err = det.Marshal(&cfgEnv); err != nil {
		return nil, fmt.Errorf("config envelope: %w", err)
	}
	if envl.Payload, err = det.Marshal(&payload); err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	if b.Data.Data[0], err = det.Marshal(&envl); err != nil {
		return nil, fmt.Errorf("envelope: %w", err)
	}
	sum := sha256.Sum256(bytes.Join(b.Data.Data, nil))
	b.Header.DataHash = sum[:]
	return det.Marshal(&b)
}

// addOUToReaders makes org's Readers OR(its rule, the OU principal).
func addOUToReaders(org *common.ConfigGroup, mspID, ou string, certifiers []byte) error {
	cp := org.GetPolicies()["Readers"]
	if cp == nil || cp.GetPolicy().GetType() != int32(common.Policy_SIGNATURE) {
		return errors.New("its Readers is missing or not a signature policy")
	}
	var env common.SignaturePolicyEnvelope
	if err := proto.Unmarshal(cp.Policy.Value, &env); err != nil {
		return fmt.Errorf("readers: %w", err)
	}
	unit, err := proto.Marshal(&msp.OrganizationUnit{MspIdentifier: mspID, OrganizationalUnitIdentifier: ou, CertifiersIdentifier: certifiers})
	if err != nil {
		return fmt.Errorf("readers: %w", err)
	}
	for _, p := range env.Identities {
		if p.PrincipalClassification == msp.MSPPrincipal_ORGANIZATION_UNIT && bytes.Equal(p.Principal, unit) {
			return nil // there already: running again changes nothing
		}
	}
	env.Identities = append(env.Identities, &msp.MSPPrincipal{PrincipalClassification: msp.MSPPrincipal_ORGANIZATION_UNIT, Principal: unit})
	ouRule := &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: int32(len(env.Identities) - 1)}}
	env.Rule = &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{N: 1, Rules: []*common.SignaturePolicy{env.Rule, ouRule}}}}
	det := proto.MarshalOptions{Deterministic: true}
	if cp.Policy.Value, err = det.Marshal(&env); err != nil {
		return fmt.Errorf("readers: %w", err)
	}
	return nil
}

// certifiersIdentifier is what Fabric's MSP compares in an OU principal for a certificate issued
// directly by the root CA caPEM: the SHA-256 of that CA certificate as the MSP holds it, its ECDSA
// signature in low-S form (the MSP rewrites a root certificate signed with a high S).
func certifiersIdentifier(caPEM []byte) ([]byte, error) {
	blk, _ := pem.Decode(caPEM)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	der, err := lowSCertificate(cert)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return sum[:], nil
}

// lowSCertificate returns cert's DER with its ECDSA signature's S in the lower half of the curve
// order; other certificates are returned as they are.
func lowSCertificate(cert *x509.Certificate) ([]byte, error) {
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !strings.HasPrefix(cert.SignatureAlgorithm.String(), "ECDSA") {
		return cert.Raw, nil
	}
	var sig struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(cert.Signature, &sig); err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	// A self-signed root: its signer's curve is its own.
	n := curveOrder(pub.Curve)
	half := new(big.Int).Rsh(n, 1)
	if sig.S.Cmp(half) <= 0 {
		return cert.Raw, nil
	}
	sig.S = new(big.Int).Sub(n, sig.S)
	newSig, err := asn1.Marshal(sig)
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	var c struct {
		TBS       asn1.RawValue
		Algorithm pkix.AlgorithmIdentifier
		Signature asn1.BitString
	}
	if _, err := asn1.Unmarshal(cert.Raw, &c); err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	c.Signature = asn1.BitString{Bytes: newSig, BitLength: 8 * len(newSig)}
	return asn1.Marshal(c)
}

func curveOrder(c elliptic.Curve) *big.Int { return c.Params().N }
