package consent

import (
	"context"
	"fmt"
	"time"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/fhir"
	"github.com/healthledger/healthledger/gateway-client/sdk"
)

// MaxFHIRAuditEvents bounds the access log entries FHIRAuditEvents reads in one call.
const MaxFHIRAuditEvents = 10_000

// fhirPageSize is the page size FHIRAuditEvents reads the log with.
const fhirPageSize = 200

// FHIRConsent reads a consent (GetConsent, so only who may read it) and converts it to a FHIR R4
// Consent; a consent whose period has ended is inactive. The resource names the patient by
// pseudonym and the parties by their ledger identities.
func (c *Client) FHIRConsent(ctx context.Context, consentID string) (*fhir.ConsentResource, error) {
	got, err := c.GetConsent(ctx, consentID)
	if err != nil {
		return nil, err
	}
	r, err := fhir.Consent(*got, time.Now())
	if err != nil {
		return nil, exportError("FHIRConsent", err)
	}
	return r, nil
}

// FHIRAuditEvents reads a patient's access log (ListAccessLog, newest first; only who may read it)
// and converts it to a FHIR R4 Bundle of type searchset of AuditEvents. limit caps the entries read:
// 0 reads every entry, up to MaxFHIRAuditEvents; a longer log is PRECONDITION_FAILED unless limit is
// set.
func (c *Client) FHIRAuditEvents(ctx context.Context, patient string, limit int) (*fhir.Bundle, error) {
	if limit < 0 || limit > MaxFHIRAuditEvents {
		return nil, local("FHIRAuditEvents", fmt.Errorf("limit %d is outside 0..%d", limit, MaxFHIRAuditEvents))
	}
	want, capped := limit, limit > 0
	if !capped {
		want = MaxFHIRAuditEvents
	}
	var entries []consenttypes.AccessEntry
	bookmark := ""
	for {
		page, err := c.ListAccessLog(ctx, patient, min(fhirPageSize, want-len(entries)), bookmark)
		if err != nil {
			return nil, err
		}
		entries = append(entries, page.Items...)
		bookmark = page.Bookmark
		if bookmark == "" || len(page.Items) == 0 {
			break
		}
		if len(entries) >= want {
			if !capped {
				return nil, exportError("FHIRAuditEvents", codes.New(codes.PreconditionFailed,
					"the access log of %s has more than %d entries: set a limit", patient, MaxFHIRAuditEvents))
			}
			break
		}
	}
	src := fhir.Source{Channel: c.c.Channel(), Chaincode: Chaincode, Peer: c.c.Peer().Name}
	b, err := fhir.AuditBundle(entries[:min(len(entries), want)], src, fhir.BundleSearchset)
	if err != nil {
		return nil, exportError("FHIRAuditEvents", err)
	}
	return b, nil
}

// exportError wraps a conversion failure of fn with the sentinel of its code.
func exportError(fn string, err error) error {
	switch codes.Of(err) {
	case codes.InvalidArgument:
		return fmt.Errorf("consent.%s: %w: %w", fn, sdk.ErrInvalidArgument, err)
	case codes.PreconditionFailed:
		return fmt.Errorf("consent.%s: %w: %w", fn, sdk.ErrPreconditionFailed, err)
	}
	return fmt.Errorf("consent.%s: %w", fn, err)
}
