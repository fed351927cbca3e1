package claims

import (
	"slices"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/chaincode/claims/claimstypes"
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/internal/cctest"
	"github.com/stretchr/testify/require"
)

// TestNoExistenceOracle walks every transaction of the contract as every caller of the layout (each
// role of the consortium map, a certificate without a role, an org admin, and a provider of an MSP
// the map does not name) on a ledger holding coverage cov-1 and claim clm-1. Whenever a caller is
// refused (FORBIDDEN, or the NOT_FOUND of an object it may not see), the refusal changes nothing, names
// no patient the caller did not pass, and is byte for byte the answer the same call gets on a ledger
// where the object it names does not exist.
func TestNoExistenceOracle(t *testing.T) {
	type row struct {
		fn     string
		args   []string
		object string // "claim": the row names clm-1; "coverage": cov-1
		submit bool
		opts   func(f *fixture) []cctest.CallOption
	}
	details := func(f *fixture) []cctest.CallOption {
		return []cctest.CallOption{cctest.WithTransientJSON(claimstypes.TransientClaim, f.details(nil))}
	}
	terms := func(f *fixture) []cctest.CallOption {
		return []cctest.CallOption{cctest.WithTransientJSON(claimstypes.TransientCoverage, f.terms(nil))}
	}
	replacement := submission("clm-r")
	replacement.FrequencyCode, replacement.OriginalClaimID = claimstypes.FrequencyReplacement, "clm-1"
	rows := []row{
		{fn: "GetClaim", args: []string{"clm-1"}, object: "claim"},
		{fn: "ClaimHistory", args: []string{"clm-1"}, object: "claim"},
		{fn: "GetClaimDetails", args: []string{"clm-1"}, object: "claim"},
		{fn: "Pend", args: []string{"clm-1", "need records"}, object: "claim", submit: true},
		{fn: "Adjudicate", args: []string{"clm-1"}, object: "claim", submit: true},
		{fn: "Pay", args: []string{"clm-1"}, object: "claim", submit: true},
		{fn: "Close", args: []string{"clm-1"}, object: "claim", submit: true},
		{fn: "Appeal", args: []string{"clm-1", "covered"}, object: "claim", submit: true},
		{fn: "Void", args: []string{"clm-1", "sent twice"}, object: "claim", submit: true},
		{fn: "Resubmit", args: []string{"clm-1"}, object: "claim", submit: true, opts: details},
		{fn: "SubmitClaim", args: []string{toJSON(t, replacement)}, object: "claim", submit: true, opts: details},
		{fn: "GetCoverage", args: []string{covID}, object: "coverage"},
		{fn: "GetCoverageTerms", args: []string{covID}, object: "coverage"},
		{fn: "UpdateCoverage", args: []string{covID}, object: "coverage", submit: true, opts: terms},
		{fn: "RegisterCoverage", args: []string{covID}, object: "coverage", submit: true, opts: terms},
		{fn: "ListClaimsByProvider", args: []string{hospitalMSP, npi1, "10", ""}, object: "claim"},
		{fn: "ListClaimsByInsurer", args: []string{insurerMSP, "10", ""}, object: "claim"},
		{fn: "ListClaimsByStatus", args: []string{"submitted", "10", ""}, object: "claim"},
	}
	// Every transaction but the consortium map's own is covered.
	probe := newFixture(t)
	evaluate, submit := probe.l.Transactions(cc, probe.who("auditor1"))
	for _, fn := range append(evaluate, submit...) {
		if fn == "GetConsortium" || fn == "SetConsortium" {
			continue
		}
		require.True(t, slices.ContainsFunc(rows, func(r row) bool { return r.fn == fn }), "the matrix misses %s", fn)
	}

	// The three ledgers are built once; every call runs on a clone.
	build := func(t *testing.T, coverage, claim bool) *fixture {
		f := newFixture(t)
		f.id["distributor1"] = f.l.Identity(pharmaMSP, "distributor1", cctest.RoleAttrs("distributor", "0614141000012"))
		f.id["outsider"] = f.l.Identity("OutsiderMSP", "outsider", cctest.RoleAttrs("provider", "1003000142"))
		f.permit(pat1)
		if coverage {
			cctest.RequireOK(t, f.registerCoverageAs("insurer1", covID, f.terms(nil)))
		}
		if claim {
			f.submit("clm-1")
		}
		return f
	}
	bases := map[string]*fixture{"full": build(t, true, true), "claim": build(t, true, false), "coverage": build(t, false, false)}
	clone := func(t *testing.T, which string) *fixture {
		g := *bases[which]
		g.t, g.l = t, bases[which].l.Clone(t)
		return &g
	}
	callers := []string{"patient1", "patient2", "provider1", "provider2", "pharmacist1", "insurer1", "insurer2", "auditor1", "auditorPharma",
		"manufacturer1", "distributor1", "rivalInsurer", "noRole", "hospitalAdmin", "outsider"}
	refusals := 0
	for _, r := range rows {
		for _, caller := range callers {
			t.Run(r.fn+" by "+caller, func(t *testing.T) {
				call := func(f *fixture) *cctest.Result {
					var opts []cctest.CallOption
					if r.opts != nil {
						opts = r.opts(f)
					}
					if r.submit {
						return f.l.Invoke(cc, f.who(caller), r.fn, r.args, opts...)
					}
					return f.l.Evaluate(cc, f.who(caller), r.fn, r.args, opts...)
				}
				f := clone(t, "full")
				before := f.l.Snapshot()
				res := call(f)
				code := codes.Of(res.Err())
				if res.OK() || (code != codes.Forbidden && code != codes.NotFound) {
					return // allowed, or refused for what the caller may see
				}
				refusals++
				f.l.RequireUnchanged(t, before)
				passed := slices.ContainsFunc(r.args, func(a string) bool { return strings.Contains(a, pat1) })
				if !passed && caller != "patient1" {
					require.NotContains(t, res.Message, pat1, "the refusal names the object's patient")
				}
				missing := call(clone(t, r.object))
				require.Equal(t, res.Status, missing.Status)
				require.Equal(t, res.Message, missing.Message, "the refusal tells that %s exists", map[string]string{"claim": "clm-1", "coverage": covID}[r.object])
			})
		}
	}
	require.Positive(t, refusals)
}
