package bench

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/healthledger/healthledger/gateway-client/sdk"
)

// EnrollUsers registers and enrolls n users holding role with the CA of the first org whose members
// hold it, as that org's registrar, and keeps their credentials in memory (the wallet is left alone).
// Their names are hlb-<run>-<tag>-<i> and their subjects <prefix><run>-<tag>-<i>, where prefix is
// "pat-" for patients. Workloads use them where one identity per key is what keeps operations from
// conflicting (a patient's consents), or where "other patients" must be real.
func (e *Env) EnrollUsers(ctx context.Context, role, tag string, n int) ([]sdk.IdentityInfo, error) {
	org, err := e.orgOfRole(role)
	if err != nil {
		return nil, err
	}
	prof, err := e.Net.Profile(org.Name)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailableWorkload, err)
	}
	if prof.CA == nil {
		return nil, fmt.Errorf("%w: org %s lists no CA to enroll %s users with", ErrUnavailableWorkload, org.Name, role)
	}
	ca, err := prof.CAClient()
	if err != nil {
		return nil, fmt.Errorf("the CA of %s: %w", org.Name, err)
	}
	wallet, err := sdk.OpenWallet(e.Net.WalletDir())
	if err != nil {
		return nil, fmt.Errorf("opening the wallet: %w", err)
	}
	registrar, err := wallet.Get(registrarName(prof))
	if err != nil {
		return nil, fmt.Errorf("%w: the registrar of %s: %v", ErrUnavailableWorkload, org.Name, err)
	}
	subjectPrefix := ""
	if role == "patient" {
		subjectPrefix = "pat-"
	}
	out := make([]sdk.IdentityInfo, n)
	err = Parallel(ctx, n, 4, func(ctx context.Context, i int) error {
		base := e.RunID + "-" + tag + "-" + strconv.Itoa(i)
		name, subject := "hlb-"+base, subjectPrefix+base
		secret, err := ca.Register(ctx, registrar, sdk.RegisterRequest{
			Name: name, Type: "client",
			Attributes: []sdk.Attribute{{Name: "role", Value: role, ECert: true}, {Name: "subject", Value: subject, ECert: true}},
		})
		if err != nil {
			return fmt.Errorf("registering %s: %w", name, err)
		}
		creds, err := ca.Enroll(ctx, sdk.EnrollRequest{Name: name, Secret: secret})
		if err != nil {
			return fmt.Errorf("enrolling %s: %w", name, err)
		}
		creds.Info.Name, creds.Info.MSPID, creds.Info.Org = name, org.MSPID, org.Name
		if creds.Info.Role != role || creds.Info.Subject != subject {
			return fmt.Errorf("enrolled %s with role %q and subject %q, want %q and %q", name, creds.Info.Role, creds.Info.Subject, role, subject)
		}
		e.mu.Lock()
		e.creds[name] = synthetic{creds: creds, profile: prof.Path()}
		e.mu.Unlock()
		out[i] = creds.Info
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// synthetic is a user enrolled by the run.
type synthetic struct {
	creds   *sdk.Credentials
	profile string
}

func (e *Env) orgOfRole(role string) (sdk.OrgInfo, error) {
	for _, o := range e.Net.Orgs() {
		if slices.Contains(o.Roles, role) {
			return o, nil
		}
	}
	return sdk.OrgInfo{}, fmt.Errorf("%w: no org holds role %s", ErrUnavailableWorkload, role)
}

// registrarName is the registrar's wallet name from the profile (ca.registrar), or else
// registrar.<org>, the name network.sh gives it.
func registrarName(p *sdk.Profile) string {
	if p.CA != nil && p.CA.Registrar != "" {
		return p.CA.Registrar
	}
	return "registrar." + p.Name
}

// connectAny connects a listed identity through the network, or a user the run enrolled with its
// in-memory credentials.
func (e *Env) connectAny(ctx context.Context, name string, opts ...sdk.Option) (*sdk.Client, error) {
	e.mu.Lock()
	s, ok := e.creds[name]
	e.mu.Unlock()
	if !ok {
		return e.Net.Connect(ctx, name, opts...)
	}
	all := append([]sdk.Option{sdk.WithCredentials(s.creds), sdk.WithNetwork(e.Net)}, opts...)
	return sdk.Connect(ctx, s.profile, all...)
}
