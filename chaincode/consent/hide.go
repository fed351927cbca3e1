package consent

import (
	"encoding/json"
	"fmt"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
	"github.com/healthledger/healthledger/chaincode/internal/txstate"
)

// hidden is the one answer a caller gets for an object (a record, a consent) it may not see, whether
// or not the object exists: NOT_FOUND, built from the function, the kind and the id the caller passed,
// and nothing read from the ledger. So a refusal tells neither that the id is taken nor whose it is
// (docs/privacy.md, "No existence oracles").
func hidden(action, kind, id string) error {
	return codes.New(codes.NotFound, "%s: no %s %s that this caller may see", action, kind, id)
}

// hiddenRecord reads record recordID for a caller that may see it only when allowed says so; a
// missing record and a refused one both get hidden(action, "record", recordID).
func hiddenRecord(ctx txstate.Context, recordID, action string, allowed func(*consenttypes.Record) (bool, error)) (*consenttypes.Record, error) {
	rec, found, err := getRecord(ctx, recordID)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, hidden(action, "record", recordID)
	}
	ok, err := allowed(rec)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, hidden(action, "record", recordID)
	}
	return rec, nil
}

// decisionLog is the chaincode server's log line for a CheckAccess answered to a data holder about
// another grantee: who asked, about whom, and the answer. No PHI: the patient id is pseudonymous.
type decisionLog struct {
	Event    string `json:"event"`
	TxID     string `json:"txId"`
	Caller   string `json:"caller"`
	Patient  string `json:"patient"`
	Grantee  string `json:"grantee"`
	Action   string `json:"action"`
	Purpose  string `json:"purpose"`
	Class    string `json:"dataClass"`
	Decision string `json:"decision"`
}

func (s *Contract) logDecision(ctx txstate.Context, c ccutil.Caller, req consenttypes.Request, d consenttypes.Decision) {
	line, err := json.Marshal(decisionLog{Event: "consent.disclosure-checked", TxID: ctx.GetStub().GetTxID(), Caller: partyOf(c),
		Patient: req.Patient, Grantee: req.Grantee.String(), Action: string(req.Action), Purpose: string(req.Purpose),
		Class: string(req.Class), Decision: string(d.Decision)})
	if err != nil {
		return
	}
	fmt.Fprintf(s.logOut(), "%s\n", line)
}
