//go:build integration

package integration

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/provenance/provenancetypes"
	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	gwidentity "github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// The provenance trust tests play a rogue party inside the consortium: a pharmacy that holds
// nothing, a CA that mints a role its organisation is not entitled to, a manufacturer claiming
// another's GS1 prefix. Every attack and every check goes through a raw fabric-gateway client
// (github.com/hyperledger/fabric-gateway/pkg/client) with the certificate and key of the identity,
// never through the project's SDK, so what they show does not depend on the SDK's own checks. The
// supply chain they attack is set up with the provenance test helpers (provSetup and friends).

// trustGateway is one identity's raw Fabric Gateway connection, through the first peer of its org.
type trustGateway struct {
	name string
	gw   *client.Gateway
	prov *client.Contract
}

// trustDial connects creds (an identity of org) to the provenance chaincode through org's first peer.
func trustDial(t *testing.T, org string, creds *sdk.Credentials) *trustGateway {
	t.Helper()
	prof, err := env.net.Profile(org)
	require.NoError(t, err)
	require.NotEmpty(t, prof.Peers, "the profile of %s lists no peer", org)
	peer := prof.Peers[0]
	caPEM, err := os.ReadFile(peer.TLSCACert)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(caPEM), "no certificate in %s", peer.TLSCACert)
	cert, err := gwidentity.CertificateFromPEM(creds.Certificate)
	require.NoError(t, err)
	id, err := gwidentity.NewX509Identity(prof.MSPID, cert)
	require.NoError(t, err)
	key, err := gwidentity.PrivateKeyFromPEM(creds.PrivateKey)
	require.NoError(t, err)
	sign, err := gwidentity.NewPrivateKeySign(key)
	require.NoError(t, err)
	conn, err := grpc.NewClient(peer.Endpoint, grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, peer.HostOverride)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	gw, err := client.Connect(id, client.WithSign(sign), client.WithClientConnection(conn))
	require.NoError(t, err)
	t.Cleanup(func() { _ = gw.Close() })
	return &trustGateway{name: creds.Info.Name, gw: gw, prov: gw.GetNetwork(env.net.Channel()).GetContract("provenance")}
}

// trustWallet connects the wallet identity name of the network under test.
func trustWallet(t *testing.T, name string) *trustGateway {
	t.Helper()
	info, err := env.net.Identity(name)
	require.NoError(t, err)
	w, err := sdk.OpenWallet(env.net.WalletDir())
	require.NoError(t, err)
	creds, err := w.Get(name)
	require.NoError(t, err)
	return trustDial(t, info.Org, creds)
}

// trustEnroll has org's CA register and enroll a new identity with the given role and subject, as the
// CA's registrar: what an org admin with its CA can do, entitled or not. The result is only in memory.
func trustEnroll(t *testing.T, org, role, subject string) *sdk.Credentials {
	t.Helper()
	prof, err := env.net.Profile(org)
	require.NoError(t, err)
	require.NotNil(t, prof.CA, "the %s profile names no CA", org)
	ca, err := sdk.NewCAClient(*prof.CA)
	require.NoError(t, err)
	w, err := sdk.OpenWallet(env.net.WalletDir())
	require.NoError(t, err)
	registrar, err := w.Get("registrar." + org)
	require.NoError(t, err)
	name := unique("trust-" + role)
	secret, err := ca.Register(ctx(t), registrar, sdk.RegisterRequest{Name: name, Attributes: []sdk.Attribute{
		{Name: "role", Value: role, ECert: true},
		{Name: "subject", Value: subject, ECert: true},
	}})
	require.NoError(t, err)
	creds, err := ca.Enroll(ctx(t), sdk.EnrollRequest{Name: name, Secret: secret})
	require.NoError(t, err)
	creds.Info.Name, creds.Info.MSPID, creds.Info.Org = name, prof.MSPID, org
	return creds
}

// submit submits fn and waits for its commit; the error carries the chaincode's message.
func (g *trustGateway) submit(t *testing.T, fn string, args ...string) ([]byte, error) {
	t.Helper()
	out, err := g.prov.SubmitWithContext(ctx(t), fn, client.WithArguments(args...))
	if err != nil {
		return nil, fmt.Errorf("%s as %s: %w", fn, g.name, err)
	}
	return out, nil
}

// evaluate evaluates fn.
func (g *trustGateway) evaluate(t *testing.T, fn string, args ...string) ([]byte, error) {
	t.Helper()
	out, err := g.prov.EvaluateWithContext(ctx(t), fn, client.WithArguments(args...))
	if err != nil {
		return nil, fmt.Errorf("%s as %s: %w", fn, g.name, err)
	}
	return out, nil
}

// trustOK submits fn, requires success and decodes the answer into a T.
func trustOK[T any](t *testing.T, g *trustGateway, fn string, args ...string) T {
	t.Helper()
	out, err := g.submit(t, fn, args...)
	require.NoError(t, err)
	var v T
	require.NoError(t, json.Unmarshal(out, &v), "%s answered %s", fn, out)
	return v
}

// trustRead evaluates fn, requires success and decodes the answer into a T.
func trustRead[T any](t *testing.T, g *trustGateway, fn string, args ...string) T {
	t.Helper()
	out, err := g.evaluate(t, fn, args...)
	require.NoError(t, err)
	var v T
	require.NoError(t, json.Unmarshal(out, &v), "%s answered %s", fn, out)
	return v
}

// trustCode is the chaincode's stable code in a raw gateway error: from the per-peer details of an
// endorsement failure, else from the status message. "" when there is none.
func trustCode(err error) codes.Code {
	if err == nil {
		return ""
	}
	var texts []string
	if st, ok := status.FromError(err); ok {
		for _, d := range st.Details() {
			if ed, ok := d.(interface{ GetMessage() string }); ok {
				texts = append(texts, ed.GetMessage())
			}
		}
		texts = append(texts, st.Message())
	}
	texts = append(texts, err.Error())
	for _, text := range texts {
		for _, c := range codes.All() {
			if strings.Contains(text, string(c)+": ") {
				return c
			}
		}
	}
	return ""
}

// requireTrustCode requires that err carries the chaincode code want.
func requireTrustCode(t *testing.T, err error, want codes.Code) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, want, trustCode(err), "%v", err)
}

// trustGLN draws a GLN under GS1 company prefix 0614141 (which the demo parties' GLNs use).
func trustGLN(t *testing.T) string {
	t.Helper()
	n, err := rand.Int(rand.Reader, big.NewInt(100_000))
	require.NoError(t, err)
	gln, err := provenancetypes.WithCheckDigit(fmt.Sprintf("0614141%05d", n.Int64()))
	require.NoError(t, err)
	return gln
}

// trustUnitIsClean requires that, read through g, the unit reads not suspect and its batch carries no
// flag and no report.
func trustUnitIsClean(t *testing.T, g *trustGateway, b *provenancetypes.Batch, serial string) {
	t.Helper()
	u := trustRead[provenancetypes.Unit](t, g, "GetUnit", b.GTIN, serial)
	require.False(t, u.Suspect, "unit %s", serial)
	v := trustRead[provenancetypes.VerifyResult](t, g, "Verify", b.GTIN, serial, b.Lot, b.Expiry)
	require.False(t, v.Suspect, "Verify of %s", serial)
	got := trustRead[provenancetypes.Batch](t, g, "GetBatch", b.GTIN, b.Lot)
	require.False(t, got.Suspect)
	require.Empty(t, got.SuspectReports)
}

// TestProvenanceTrustANonHolderCannotPoisonADispensedUnit: pharmacist1 dispenses a unit. Then a
// second pharmacy of the same organisation (a new GLN that holds other units of the batch), and a
// "pharmacist" that the Insurer's CA mints with pharmacist1's very GLN, each dispense that unit again,
// with and without an event id. Every attempt is FORBIDDEN, and nothing is flagged: Verify, GetUnit
// and GetBatch read as before, through every org's peer.
func TestProvenanceTrustANonHolderCannotPoisonADispensedUnit(t *testing.T) {
	w := provSetup(t)
	b := provToPharmacy(t, w, "LOT-TRUST1", provSerials("N", 6), 2)
	pharmacist := identity(t, "pharmacist", 0)
	pharm := trustWallet(t, pharmacist.Name)
	dr := trustOK[provenancetypes.DispenseResult](t, pharm, "Dispense", b.GTIN, "N00001", `{"eventId":"`+unique("trust-fill")+`"}`)
	require.True(t, dr.Accepted)
	provSync(t, w)

	// A second pharmacy of the pharmacist's organisation, holding units of the same batch.
	gln2 := trustGLN(t)
	creds := trustEnroll(t, pharmacist.Org, "pharmacist", gln2)
	pharm2 := trustDial(t, pharmacist.Org, creds)
	trustOK[provenancetypes.PartyRecord](t, pharm2, "RegisterParty")
	provSync(t, w)
	second := provActor{party: provenancetypes.Party{MSPID: pharmacist.MSPID, GLN: gln2}}
	sh := provShip(t, w, w.dist, second, b, []string{"N00004"})
	trustOK[provenancetypes.Shipment](t, pharm2, "Receive", sh.ShipmentID)
	provSync(t, w)

	attackers := []*trustGateway{pharm2}
	// Another organisation's CA mints a pharmacist certificate carrying pharmacist1's GLN.
	for _, o := range env.net.Orgs() {
		if o.MSPID != pharmacist.MSPID {
			attackers = append(attackers, trustDial(t, o.Name, trustEnroll(t, o.Name, "pharmacist", pharmacist.Subject)))
			break
		}
	}
	for _, a := range attackers {
		for _, ec := range []string{"", `{"eventId":"` + dr.Unit.DispenseEventID + `"}`, `{"eventId":"` + unique("trust-copy") + `"}`} {
			_, err := a.submit(t, "Dispense", b.GTIN, "N00001", ec)
			requireTrustCode(t, err, codes.Forbidden)
		}
	}
	provSync(t, w)
	for _, o := range env.net.Orgs() {
		reader := trustWallet(t, identityOfOrg(t, o.Name).Name)
		trustUnitIsClean(t, reader, b, "N00001")
		u := trustRead[provenancetypes.Unit](t, reader, "GetUnit", b.GTIN, "N00001")
		require.Equal(t, provenancetypes.UnitDispensed, u.Status)
		require.Equal(t, &w.pharm.party, u.DispensedBy, "the first dispense stands")
	}
	events := provWalk(t, 50, func(bm string) (*provenancetypes.EventPage, error) {
		p := trustRead[provenancetypes.EventPage](t, pharm, "UnitCustody", b.GTIN, "N00001", "50", bm)
		return &p, nil
	})
	require.NotContains(t, provTypes(events), provenancetypes.EventDispenseRejected)

	// The second pharmacy dispenses what it holds.
	own := trustOK[provenancetypes.DispenseResult](t, pharm2, "Dispense", b.GTIN, "N00004", "")
	require.True(t, own.Accepted)
}

// TestProvenanceTrustAnAuditorClearsADoubleDispense: the holder dispenses a unit twice; the unit is
// suspect, the batch (one organisation's report) is not. An auditor clears the unit with a note: it
// verifies clean again, GetUnit shows who cleared it and why, and the unit's custody ends with the
// SuspectCleared event. Then the auditor flags the whole batch and clears it, and a unit that never
// moved shows both in its custody. A pharmacist may do neither.
func TestProvenanceTrustAnAuditorClearsADoubleDispense(t *testing.T) {
	w := provSetup(t)
	b := provToPharmacy(t, w, "LOT-TRUST2", provSerials("C", 4), 2)
	pharm := trustWallet(t, identity(t, "pharmacist", 0).Name)
	auditor := identity(t, "auditor", 0)
	aud := trustWallet(t, auditor.Name)

	trustOK[provenancetypes.DispenseResult](t, pharm, "Dispense", b.GTIN, "C00001", "")
	provSync(t, w)
	dr := trustOK[provenancetypes.DispenseResult](t, pharm, "Dispense", b.GTIN, "C00001", "")
	require.False(t, dr.Accepted)
	require.Equal(t, string(codes.PreconditionFailed), dr.Code)
	require.Equal(t, provenancetypes.EventDispenseRejected, dr.Event.Type)
	provSync(t, w)
	require.True(t, trustRead[provenancetypes.VerifyResult](t, aud, "Verify", b.GTIN, "C00001", b.Lot, b.Expiry).Suspect)
	got := trustRead[provenancetypes.Batch](t, aud, "GetBatch", b.GTIN, b.Lot)
	require.False(t, got.Suspect, "one organisation's double dispense does not flag the batch")
	require.Len(t, got.SuspectReports, 1)

	_, err := pharm.submit(t, "ClearSuspect", b.GTIN, b.Lot, "C00001", "mine")
	requireTrustCode(t, err, codes.Forbidden)
	_, err = pharm.submit(t, "FlagSuspect", b.GTIN, b.Lot, "theirs")
	requireTrustCode(t, err, codes.Forbidden)

	note := "the counter scanned one pack twice"
	ev := trustOK[provenancetypes.Event](t, aud, "ClearSuspect", b.GTIN, b.Lot, "C00001", note)
	require.Equal(t, provenancetypes.EventSuspectCleared, ev.Type)
	provSync(t, w)
	trustUnitIsClean(t, aud, b, "C00001")
	u := trustRead[provenancetypes.Unit](t, pharm, "GetUnit", b.GTIN, "C00001")
	require.NotNil(t, u.SuspectCleared)
	require.Equal(t, note, u.SuspectCleared.Reason)
	require.Equal(t, provenancetypes.Party{MSPID: auditor.MSPID, GLN: auditor.Subject}, u.SuspectCleared.By)
	events := provWalk(t, 50, func(bm string) (*provenancetypes.EventPage, error) {
		p := trustRead[provenancetypes.EventPage](t, pharm, "UnitCustody", b.GTIN, "C00001", "50", bm)
		return &p, nil
	})
	types := provTypes(events)
	require.Equal(t, []string{provenancetypes.EventDispensed, provenancetypes.EventDispenseRejected, provenancetypes.EventSuspectCleared}, types[len(types)-3:])
	last := events[len(events)-1]
	require.Equal(t, note, last.Reason)
	require.Equal(t, provenancetypes.Party{MSPID: auditor.MSPID, GLN: auditor.Subject}, last.Actor)

	// The batch, by an auditor's decision.
	trustOK[provenancetypes.Event](t, aud, "FlagSuspect", b.GTIN, b.Lot, "counterfeit packs reported by a wholesaler")
	provSync(t, w)
	require.True(t, trustRead[provenancetypes.VerifyResult](t, pharm, "Verify", b.GTIN, "C00004", b.Lot, b.Expiry).Suspect)
	trustOK[provenancetypes.Event](t, aud, "ClearSuspect", b.GTIN, b.Lot, "", "the packs were genuine")
	provSync(t, w)
	trustUnitIsClean(t, pharm, b, "C00004")
	events = provWalk(t, 50, func(bm string) (*provenancetypes.EventPage, error) {
		p := trustRead[provenancetypes.EventPage](t, pharm, "UnitCustody", b.GTIN, "C00004", "50", bm)
		return &p, nil
	})
	types = provTypes(events)
	require.Equal(t, []string{provenancetypes.EventSuspectFlagged, provenancetypes.EventSuspectCleared}, types[len(types)-2:])
	require.Equal(t, "the packs were genuine", events[len(events)-1].Reason)
}

// TestProvenanceTrustNoOrgRegistersAnotherOrgsGTIN: a product's GTIN must carry a GS1 company
// prefix of the registering manufacturer's organisation. The manufacturer cannot register a GTIN of
// a prefix its organisation does not own; a "manufacturer" that another organisation's CA mints
// cannot register the manufacturer's own prefix either, under any GLN. Neither leaves a product
// behind, and the rightful manufacturer registers the GTIN afterwards.
func TestProvenanceTrustNoOrgRegistersAnotherOrgsGTIN(t *testing.T) {
	maker := identity(t, "manufacturer", 0)
	mfr := trustWallet(t, maker.Name)
	spec := func(gtin string) string {
		raw, err := json.Marshal(provenancetypes.ProductSpec{GTIN: gtin, Name: "Trust test product", Strength: "5 mg", DosageForm: "tablet",
			Storage: &provenancetypes.TempRange{MinCelsius: 15, MaxCelsius: 25}})
		require.NoError(t, err)
		return string(raw)
	}
	m := trustRead[struct {
		GS1Prefixes map[string][]string `json:"gs1Prefixes"`
	}](t, mfr, "GetConsortium")
	require.NotEmpty(t, m.GS1Prefixes[maker.MSPID], "the consortium map gives %s no GS1 company prefix", maker.MSPID)
	ours := provGTIN(t, m.GS1Prefixes[maker.MSPID][0])
	foreign := ""
	for _, p := range []string{"0312345", "0400000", "0912345"} { // a prefix no member owns
		owned := false
		for _, ps := range m.GS1Prefixes {
			for _, q := range ps {
				owned = owned || strings.HasPrefix(p, q) || strings.HasPrefix(q, p)
			}
		}
		if !owned {
			foreign = provGTIN(t, p)
			break
		}
	}
	require.NotEmpty(t, foreign)

	_, err := mfr.submit(t, "RegisterProduct", spec(foreign))
	requireTrustCode(t, err, codes.Forbidden)

	for _, o := range env.net.Orgs() {
		if o.MSPID == maker.MSPID {
			continue
		}
		for _, gln := range []string{maker.Subject, trustGLN(t)} {
			rogue := trustDial(t, o.Name, trustEnroll(t, o.Name, "manufacturer", gln))
			_, err := rogue.submit(t, "RegisterProduct", spec(ours))
			requireTrustCode(t, err, codes.Forbidden)
		}
	}
	for _, g := range []string{ours, foreign} {
		_, err := mfr.evaluate(t, "GetProduct", g)
		requireTrustCode(t, err, codes.NotFound)
	}
	p := trustOK[provenancetypes.Product](t, mfr, "RegisterProduct", spec(ours))
	require.Equal(t, provenancetypes.Party{MSPID: maker.MSPID, GLN: maker.Subject}, p.Manufacturer)
}

// TestProvenanceTrustOneOrgsPeerCannotFlagAlone: provenance is endorsed by a majority of the orgs, so
// what one organisation's peer endorses alone (were its chaincode altered to flag anything) does not
// commit. The holder's own double dispense, endorsed only by its organisation's peer, is invalid at
// commit with ENDORSEMENT_POLICY_FAILURE, and the unit reads as before through every org's peer.
func TestProvenanceTrustOneOrgsPeerCannotFlagAlone(t *testing.T) {
	if len(env.net.Orgs()) < 2 {
		t.Skip("one org: its peer is the majority")
	}
	w := provSetup(t)
	b := provToPharmacy(t, w, "LOT-TRUST3", provSerials("E", 3), 2)
	pharmacist := identity(t, "pharmacist", 0)
	pharm := trustWallet(t, pharmacist.Name)
	trustOK[provenancetypes.DispenseResult](t, pharm, "Dispense", b.GTIN, "E00001", "")
	provSync(t, w)

	proposal, err := pharm.prov.NewProposal("Dispense", client.WithArguments(b.GTIN, "E00001", ""),
		client.WithEndorsingOrganizations(pharmacist.MSPID))
	require.NoError(t, err)
	tx, err := proposal.EndorseWithContext(ctx(t))
	require.NoError(t, err, "the pharmacy's own peer endorses its double dispense")
	commit, err := tx.SubmitWithContext(ctx(t))
	require.NoError(t, err)
	st, err := commit.StatusWithContext(ctx(t))
	require.NoError(t, err)
	require.False(t, st.Successful)
	require.Equal(t, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, st.Code)
	provSync(t, w)
	for _, o := range env.net.Orgs() {
		reader := trustWallet(t, identityOfOrg(t, o.Name).Name)
		trustUnitIsClean(t, reader, b, "E00001")
	}
}
