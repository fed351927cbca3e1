package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/healthledger/healthledger/chaincode/consent/consenttypes"
	"github.com/healthledger/healthledger/gateway-client/consent"
	"github.com/healthledger/healthledger/gateway-client/sdk"
)

// consentStory walks through the consent chaincode: a patient grants a provider access to one class of
// data for treatment, the provider reads (and the read is logged), the patient reads the access log,
// revokes the consent, and the provider's next read is refused and logs nothing.
func consentStory(ctx context.Context, net *sdk.Network, out io.Writer) error {
	patient, err := consentDemoIdentity(net, consenttypes.RolePatient)
	if err != nil {
		return err
	}
	provider, err := consentDemoIdentity(net, consenttypes.RoleProvider)
	if err != nil {
		return err
	}
	pconn, err := net.Connect(ctx, patient.Name)
	if err != nil {
		return fmt.Errorf("connecting %s: %w", patient.Name, err)
	}
	defer pconn.Close()
	vconn, err := net.Connect(ctx, provider.Name)
	if err != nil {
		return fmt.Errorf("connecting %s: %w", provider.Name, err)
	}
	defer vconn.Close()
	patients, providers := consent.New(pconn), consent.New(vconn)

	const class, purpose = consenttypes.ClassObservation, consenttypes.PurposeTreatment
	stamp := time.Now().UnixNano()
	consentID, recordID := fmt.Sprintf("demo-consent-%d", stamp), fmt.Sprintf("demo-obs-%d", stamp)
	grantee := consenttypes.Grantee{MSPID: provider.MSPID, Role: provider.Role, Subject: provider.Subject}

	// A patient binds their id to their key once (network.sh up did it for the layout's patients).
	if _, err := patients.RegisterPatient(ctx); err != nil && !errors.Is(err, sdk.ErrDuplicate) {
		return fmt.Errorf("registering patient %s: %w", patient.Name, err)
	}
	granted, err := patients.Grant(ctx, consenttypes.Consent{
		ID: consentID, Patient: patient.Subject, Grantee: grantee.String(), Decision: consenttypes.Permit,
		Actions: []consenttypes.Action{consenttypes.ActionAccess}, Purposes: []consenttypes.Purpose{purpose}, Classes: []consenttypes.DataClass{class},
	})
	if err != nil {
		return fmt.Errorf("granting consent %s: %w", consentID, err)
	}
	revoked := false
	defer func() {
		if !revoked { // the story stopped half-way: do not leave the consent in force
			_, _ = patients.Revoke(context.WithoutCancel(ctx), consentID, "demo stopped")
		}
	}()
	fmt.Fprintf(out, "   %s (patient %s) granted %s: %s may access %s for %s\n",
		patient.Name, patient.Subject, granted.ID, granted.Grantee, class, purpose)

	entry, err := consentDemoAccess(ctx, providers, patient.Subject, class, purpose, recordID)
	if err != nil {
		return fmt.Errorf("the provider's access under consent %s: %w", consentID, err)
	}
	fmt.Fprintf(out, "   %s read %s record %s: permitted by %v, logged in transaction %.12s\n",
		provider.Name, class, recordID, entry.ConsentIDs, entry.TxID)

	seen, err := consentDemoLogged(ctx, patients, patient.Subject, entry.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %s's access log shows it: %s %s read %s for %s\n",
		patient.Name, seen.At.Format(time.RFC3339), seen.Accessor, seen.DataClass, seen.Purpose)

	after, err := patients.Revoke(ctx, consentID, "the patient changed their mind")
	if err != nil {
		return fmt.Errorf("revoking consent %s: %w", consentID, err)
	}
	revoked = true
	fmt.Fprintf(out, "   %s revoked %s (status %s, version %d)\n", patient.Name, consentID, after.Status, after.Version)

	_, err = providers.RecordAccess(ctx, patient.Subject, class, purpose, recordID)
	switch {
	case err == nil:
		return fmt.Errorf("the provider could still read after consent %s was revoked", consentID)
	case !errors.Is(err, sdk.ErrForbidden):
		return fmt.Errorf("the provider's access after the revocation: %w", err)
	}
	fmt.Fprintf(out, "   %s's next read was refused (forbidden): no consent is in force\n", provider.Name)

	page, err := patients.ListAccessLog(ctx, patient.Subject, 20, "")
	if err != nil {
		return fmt.Errorf("reading the access log of %s: %w", patient.Subject, err)
	}
	n := 0
	for _, e := range page.Items {
		if e.RecordID == recordID {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("the access log holds %d entries for record %s, want the 1 permitted read", n, recordID)
	}
	fmt.Fprintf(out, "   the refused read logged nothing: the log still holds one entry for %s\n", recordID)
	return nil
}

// consentDemoIdentity returns the first demo identity holding role.
func consentDemoIdentity(net *sdk.Network, role string) (sdk.IdentityInfo, error) {
	ids := net.Identities(role)
	if len(ids) == 0 {
		return sdk.IdentityInfo{}, fmt.Errorf("the network has no identity with role %s", role)
	}
	return ids[0], nil
}

// consentDemoAccess records the provider's read, retrying briefly while the consent has not yet reached
// the endorsing peer.
func consentDemoAccess(ctx context.Context, providers *consent.Client, patient string, class consenttypes.DataClass, purpose consenttypes.Purpose, recordID string) (*consenttypes.AccessEntry, error) {
	for i := 0; ; i++ {
		entry, err := providers.RecordAccess(ctx, patient, class, purpose, recordID)
		if err == nil || !errors.Is(err, sdk.ErrForbidden) || i == 20 {
			return entry, err
		}
		if err := consentDemoPause(ctx); err != nil {
			return nil, err
		}
	}
}

// consentDemoLogged waits for entry id to appear in the patient's access log (another org's peer may
// commit a moment later) and returns it.
func consentDemoLogged(ctx context.Context, patients *consent.Client, patient, id string) (*consenttypes.AccessEntry, error) {
	for i := 0; i <= 20; i++ {
		page, err := patients.ListAccessLog(ctx, patient, 20, "")
		if err != nil {
			return nil, fmt.Errorf("reading the access log of %s: %w", patient, err)
		}
		for _, e := range page.Items {
			if e.ID == id {
				return &e, nil
			}
		}
		if err := consentDemoPause(ctx); err != nil {
			return nil, err
		}
	}
	return nil, fmt.Errorf("access %s never appeared in the log of %s", id, patient)
}

func consentDemoPause(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return fmt.Errorf("waiting for the ledger: %w", ctx.Err())
	case <-time.After(200 * time.Millisecond):
		return nil
	}
}
