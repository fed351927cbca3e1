//go:build integration

package integration

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"testing"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/seal"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
)

// The sealed-reads test plays a client that SUBMITS the reads that answer private data, instead of
// evaluating them, through a raw fabric-gateway client (trustWallet, provenance_trust_test.go): the
// answer of a submitted transaction goes into a block that every org's peer keeps. With a seal key
// the answer is an envelope (docs/privacy.md, Sealed answers); without one the read is refused.

// sealedSubmit is one raw submit of a private read and what became of it.
type sealedSubmit struct {
	fn, arg string
	txID    string
	block   uint64
	code    peer.TxValidationCode
	plain   []byte // the opened answer
}

// sealedRawSubmit submits fn(arg) of chaincode as the wallet identity name, with a fresh seal key,
// endorsed by the orgs given, waits for the commit and opens the answer.
func sealedRawSubmit(t *testing.T, name, chaincode, fn, arg string, endorsers ...string) sealedSubmit {
	t.Helper()
	g := trustWallet(t, name)
	key, err := seal.NewKey()
	require.NoError(t, err)
	prop, err := g.gw.GetNetwork(env.net.Channel()).GetContract(chaincode).NewProposal(fn, client.WithArguments(arg),
		client.WithTransient(map[string][]byte{seal.TransientKey: key}), client.WithEndorsingOrganizations(endorsers...))
	require.NoError(t, err)
	tx, err := prop.EndorseWithContext(ctx(t))
	require.NoError(t, err, "endorsing %s.%s as %s", chaincode, fn, name)
	require.True(t, seal.IsSealed(tx.Result()), "%s answered %s", fn, tx.Result())
	commit, err := tx.SubmitWithContext(ctx(t))
	require.NoError(t, err)
	st, err := commit.StatusWithContext(ctx(t))
	require.NoError(t, err)
	plain, err := seal.OpenPayload(key, fn, tx.TransactionID(), tx.Result())
	require.NoError(t, err, "the caller opens the answer of %s", fn)
	return sealedSubmit{fn: fn, arg: arg, txID: tx.TransactionID(), block: st.BlockNumber, code: st.Code, plain: plain}
}

// sealedScan fetches every block of the channel from the peer of org (as its block reader: see
// blockReader, ledger_test.go) and returns, for each marker, the numbers of the blocks holding it.
func sealedScan(t *testing.T, org string, markers []string) map[string][]uint64 {
	t.Helper()
	r := blockReader(t, connect(t, identityOfOrg(t, org).Name))
	height := readerHeight(t, r)
	require.Greater(t, height, uint64(1), "the channel has no blocks to scan")
	found := map[string][]uint64{}
	for n := uint64(0); n < height; n++ {
		raw, err := r.Contract("qscc").Evaluate(ctx(t), "GetBlockByNumber", []string{env.net.Channel(), strconv.FormatUint(n, 10)})
		require.NoError(t, err)
		for _, m := range markers {
			if bytes.Contains(raw, []byte(m)) {
				found[m] = append(found[m], n)
			}
		}
	}
	return found
}

func TestPrivacySubmittedPrivateReadsLeaveNoPHIInAnyBlock(t *testing.T) {
	cast := claimsConnectCast(t)
	insurerMSP, providerMSP := cast.insurer.info.MSPID, cast.provider.info.MSPID
	who, ok := claimsPickPatient(t, cast.provider, insurerMSP, claimsNotVetoed)
	if !ok {
		t.Skip("every patient holds a deny consent for disclose of Claim to the insurer: no claim can pass")
	}
	claimsGrantPayment(t, claimsConnectAs(t, who), insurerMSP, cast.provider, cast.insurer)

	// The PHI markers, planted through the SDK's ordinary writes.
	diagnosis := claimsRareICD10()
	procedure := fmt.Sprintf("%04dT", mrand.IntN(10000)) // a CPT category III code
	plan := claimsNonce(t, "sealplan")
	termsNonce := claimsNonce(t, "sealterms")
	detailsNonce := claimsNonce(t, "sealclaim")
	location := claimsNonce(t, "sealloc")
	description := claimsNonce(t, "sealdesc")

	cov := claimsRegisterCoverage(t, cast.insurer, claimstypes.CoverageTerms{
		Member: who.Subject, PlanID: plan, PeriodStart: "2000-01-01", PeriodEnd: "2099-12-31",
		CoveredCodes: []string{procedure}, CoinsuranceBP: 2000, Nonce: termsNonce,
	}, cast.provider)
	v := claimsNewVariant()
	details := claimsDetails(t, []string{diagnosis},
		claimstypes.ServiceLine{Code: procedure, ServiceDate: v.date, Quantity: 1, UnitChargeCents: 9000 + v.cents})
	details.Nonce = detailsNonce
	claimID := unique("sealed-claim")
	_, err := cast.provider.claims.SubmitClaim(ctx(t), claimstypes.ClaimSubmission{ID: claimID, Patient: who.Subject, CoverageID: cov.ID}, details)
	require.NoError(t, err)
	claimsAwaitStatus(t, claimID, claimstypes.StatusSubmitted, cast.insurer, cast.provider)

	pat, prov := consentPatient(t), identity(t, "provider", 0)
	pc, vc := consentClient(t, pat), consentClient(t, prov)
	const class = consenttypes.ClassDocumentReference
	consentGrant(t, pc, consenttypes.Consent{
		ID: unique("sealed-consent"), Patient: pat.Subject, Grantee: consentParty(prov), Decision: consenttypes.Permit,
		Actions: []consenttypes.Action{consenttypes.ActionCollect}, Purposes: []consenttypes.Purpose{consenttypes.PurposeTreatment}, Classes: []consenttypes.DataClass{class},
	})
	// The control: the record id is public, an argument of the submitted read itself.
	recordID := unique("SEALCTRL")
	rec := consentRegister(t, vc, recordID, pat.Subject, class,
		consenttypes.RecordDetails{URI: "https://ehr.invalid/doc/" + location, Description: "discharge letter " + description}, nil)

	// The typed SDK reads (sealed under the hood) still answer the plain values.
	sdkClaim, err := cast.insurer.claims.GetClaimDetails(ctx(t), claimID)
	require.NoError(t, err)
	require.Equal(t, []string{diagnosis}, sdkClaim.Details.Diagnoses)
	require.Equal(t, procedure, sdkClaim.Details.Lines[0].Code)
	sdkTerms, err := cast.insurer.claims.GetCoverageTerms(ctx(t), cov.ID)
	require.NoError(t, err)
	require.Equal(t, plan, sdkTerms.Terms.PlanID)
	require.Equal(t, termsNonce, sdkTerms.Terms.Nonce)
	var sdkView *consenttypes.RecordDetailsView
	eventually(t, "the record details reaching the custodian's peer", func() error {
		sdkView, err = vc.GetRecordDetails(ctx(t), rec.ID)
		return err
	})
	require.Equal(t, "https://ehr.invalid/doc/"+location, sdkView.URI)
	require.Equal(t, "discharge letter "+description, sdkView.Description)

	// Submitted with a seal key, through a raw client. The claims reads are endorsed by the
	// collection's members (the chaincode's policy is AND(provider org, insurer org)); the record
	// details by the custodian alone, the collection's only member: under the consent chaincode's
	// majority policy that transaction is invalid, but it is in a block all the same.
	submits := []sealedSubmit{
		sealedRawSubmit(t, cast.insurer.info.Name, "claims", "GetClaimDetails", claimID, providerMSP, insurerMSP),
		sealedRawSubmit(t, cast.insurer.info.Name, "claims", "GetCoverageTerms", cov.ID, providerMSP, insurerMSP),
		sealedRawSubmit(t, prov.Name, "consent", "GetRecordDetails", rec.ID, prov.MSPID),
	}
	require.Equal(t, peer.TxValidationCode_VALID, submits[0].code, "GetClaimDetails submitted")
	require.Equal(t, peer.TxValidationCode_VALID, submits[1].code, "GetCoverageTerms submitted")
	require.Contains(t, []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE}, submits[2].code)
	t.Logf("GetRecordDetails endorsed by %s alone committed as %s in block %d", prov.MSPID, submits[2].code, submits[2].block)

	t.Run("the submitter opens the same values as the typed SDK reads", func(t *testing.T) {
		var gotClaim claimstypes.ClaimRecord
		require.NoError(t, json.Unmarshal(submits[0].plain, &gotClaim))
		require.Equal(t, *sdkClaim, gotClaim)
		var gotTerms claimstypes.CoverageRecord
		require.NoError(t, json.Unmarshal(submits[1].plain, &gotTerms))
		require.Equal(t, *sdkTerms, gotTerms)
		var gotView consenttypes.RecordDetailsView
		require.NoError(t, json.Unmarshal(submits[2].plain, &gotView))
		require.Equal(t, *sdkView, gotView)
	})

	// Submitted without a seal key: refused at endorsement, so no transaction is ever ordered.
	var refused []string
	for _, r := range []struct{ name, chaincode, fn, arg string }{
		{cast.insurer.info.Name, "claims", "GetClaimDetails", claimID},
		{cast.insurer.info.Name, "claims", "GetCoverageTerms", cov.ID},
		{prov.Name, "consent", "GetRecordDetails", rec.ID},
	} {
		g := trustWallet(t, r.name)
		_, err := g.gw.GetNetwork(env.net.Channel()).GetContract(r.chaincode).SubmitWithContext(ctx(t), r.fn, client.WithArguments(r.arg))
		require.Error(t, err, "%s submitted without a seal key", r.fn)
		require.Equal(t, codes.InvalidArgument, trustCode(err), "%s without a seal key: %v", r.fn, err)
		var ee *client.EndorseError
		require.True(t, errors.As(err, &ee), "%s: refused at endorsement, not later: %v", r.fn, err)
		require.NotEmpty(t, ee.TransactionID)
		refused = append(refused, ee.TransactionID)
	}

	phi := map[string]string{
		"diagnosis": diagnosis, "diagnosis without its dot": diagnosis[:3] + diagnosis[4:], "procedure code": procedure,
		"plan id": plan, "terms nonce": termsNonce, "claim nonce": detailsNonce,
		"record location": location, "record description": description,
	}
	markers := []string{claimID, recordID}
	for _, s := range submits {
		markers = append(markers, s.txID)
	}
	for _, m := range phi {
		markers = append(markers, m)
	}
	markers = append(markers, refused...)
	for _, org := range env.net.Orgs() {
		t.Run("the blocks on the peer of "+org.Name, func(t *testing.T) {
			var found map[string][]uint64
			eventually(t, "the sealed submits reaching the peer of "+org.Name, func() error {
				found = sealedScan(t, org.Name, markers)
				for _, s := range submits {
					if len(found[s.txID]) == 0 {
						return fmt.Errorf("transaction %s (%s) is in no block yet", s.txID, s.fn)
					}
				}
				return nil
			})
			for _, s := range submits {
				require.Equal(t, []uint64{s.block}, found[s.txID], "the submit of %s is in block %d", s.fn, s.block)
			}
			require.Contains(t, found[recordID], submits[2].block, "control: the record id, a public argument of the submitted read, is in its block")
			require.Contains(t, found[claimID], submits[0].block, "control: the claim id, a public argument of the submitted read, is in its block")
			for what, m := range phi {
				require.Empty(t, found[m], "the %s %s is in a block", what, m)
			}
			for _, id := range refused {
				require.Empty(t, found[id], "a refused read (tx %s) reached a block", id)
			}
		})
	}
}
