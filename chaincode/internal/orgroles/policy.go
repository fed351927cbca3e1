package orgroles

import (
	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// Majority is how many of n organisations make a majority: n/2+1.
func Majority(n int) int { return n/2 + 1 }

// MajorityPolicy returns the key-level endorsement policy that the map's key carries: a signature
// policy that needs the peers of [Majority] of orgs (OutOf(n/2+1, 'A.peer', 'B.peer', ...)), as the
// serialized SignaturePolicyEnvelope that SetStateValidationParameter takes. fabric-chaincode-go's
// statebased package only builds all-of policies, so the envelope is built here.
func MajorityPolicy(orgs []string) ([]byte, error) {
	if len(orgs) == 0 {
		return nil, codes.New(codes.InvalidArgument, "a majority policy needs at least one organisation")
	}
	env := &common.SignaturePolicyEnvelope{Version: 0}
	rules := make([]*common.SignaturePolicy, 0, len(orgs))
	for i, org := range orgs {
		role, err := proto.Marshal(&msp.MSPRole{MspIdentifier: org, Role: msp.MSPRole_PEER})
		if err != nil {
			return nil, codes.New(codes.Internal, "encoding the peer role of %s: %v", org, err)
		}
		env.Identities = append(env.Identities, &msp.MSPPrincipal{
			PrincipalClassification: msp.MSPPrincipal_ROLE,
			Principal:               role,
		})
		rules = append(rules, &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: int32(i)}})
	}
	env.Rule = &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{
		N:     int32(Majority(len(orgs))),
		Rules: rules,
	}}}
	raw, err := proto.Marshal(env)
	if err != nil {
		return nil, codes.New(codes.Internal, "encoding the majority policy: %v", err)
	}
	return raw, nil
}
