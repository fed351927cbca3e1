package bench

import (
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer/etcdraft"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
)

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	raw, err := proto.Marshal(m)
	require.NoError(t, err)
	return raw
}

func principal(t *testing.T, mspID string) *msp.MSPPrincipal {
	return &msp.MSPPrincipal{
		PrincipalClassification: msp.MSPPrincipal_ROLE,
		Principal:               mustMarshal(t, &msp.MSPRole{MspIdentifier: mspID, Role: msp.MSPRole_PEER}),
	}
}

func signedBy(i int32) *common.SignaturePolicy {
	return &common.SignaturePolicy{Type: &common.SignaturePolicy_SignedBy{SignedBy: i}}
}

func nOutOf(n int32, rules ...*common.SignaturePolicy) *common.SignaturePolicy {
	return &common.SignaturePolicy{Type: &common.SignaturePolicy_NOutOf_{NOutOf: &common.SignaturePolicy_NOutOf{N: n, Rules: rules}}}
}

func definition(t *testing.T, ap *peer.ApplicationPolicy) []byte {
	t.Helper()
	def := &lifecycle.QueryChaincodeDefinitionResult{Sequence: 1}
	if ap != nil {
		def.ValidationParameter = mustMarshal(t, ap)
	}
	return mustMarshal(t, def)
}

func TestEndorsementPolicy(t *testing.T) {
	ids := []*msp.MSPPrincipal{}
	for _, m := range []string{"HospitalMSP", "InsurerMSP", "PharmaMSP"} {
		ids = append(ids, principal(t, m))
	}
	sig := func(rule *common.SignaturePolicy) *peer.ApplicationPolicy {
		return &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_SignaturePolicy{SignaturePolicy: &common.SignaturePolicyEnvelope{Rule: rule, Identities: ids}}}
	}
	tests := []struct {
		name string
		def  []byte
		want string
	}{
		{"a reference names the channel policy", definition(t, &peer.ApplicationPolicy{Type: &peer.ApplicationPolicy_ChannelConfigPolicyReference{ChannelConfigPolicyReference: "/Channel/Application/Endorsement"}}), "channel policy /Channel/Application/Endorsement"},
		{"no policy is the channel default", definition(t, nil), "channel default (/Channel/Application/Endorsement)"},
		{"one signer is that principal", definition(t, sig(nOutOf(1, signedBy(0)))), "'HospitalMSP.peer'"},
		{"all of two is AND", definition(t, sig(nOutOf(2, nOutOf(1, signedBy(0)), nOutOf(1, signedBy(1))))), "AND('HospitalMSP.peer', 'InsurerMSP.peer')"},
		{"one of three is OR", definition(t, sig(nOutOf(1, signedBy(0), signedBy(1), signedBy(2)))), "OR('HospitalMSP.peer', 'InsurerMSP.peer', 'PharmaMSP.peer')"},
		{"two of three is OutOf", definition(t, sig(nOutOf(2, signedBy(0), signedBy(1), signedBy(2)))), "OutOf(2, 'HospitalMSP.peer', 'InsurerMSP.peer', 'PharmaMSP.peer')"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := endorsementPolicy(tt.def)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	t.Run("a principal index out of range is an error, not a panic", func(t *testing.T) {
		_, err := endorsementPolicy(definition(t, sig(signedBy(7))))
		require.Error(t, err)
	})
	t.Run("bytes that are not a definition are an error", func(t *testing.T) {
		_, err := endorsementPolicy([]byte{0xff, 0xff, 0xff})
		require.Error(t, err)
	})
}

func TestReadChannelConfig(t *testing.T) {
	value := func(m proto.Message) *common.ConfigValue { return &common.ConfigValue{Value: mustMarshal(t, m)} }
	raft := &etcdraft.ConfigMetadata{Consenters: []*etcdraft.Consenter{{Host: "a"}, {Host: "b"}, {Host: "c"}}}
	cfg := &common.Config{ChannelGroup: &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{
		"Orderer": {Values: map[string]*common.ConfigValue{
			"BatchTimeout":  value(&orderer.BatchTimeout{Timeout: "250ms"}),
			"BatchSize":     value(&orderer.BatchSize{MaxMessageCount: 50, PreferredMaxBytes: 2 << 20}),
			"ConsensusType": value(&orderer.ConsensusType{Type: "etcdraft", Metadata: mustMarshal(t, raft)}),
		}},
		"Application": {Policies: map[string]*common.ConfigPolicy{
			"Endorsement": {Policy: &common.Policy{Type: int32(common.Policy_IMPLICIT_META),
				Value: mustMarshal(t, &common.ImplicitMetaPolicy{SubPolicy: "Endorsement", Rule: common.ImplicitMetaPolicy_MAJORITY})}},
		}},
	}}}
	var info NetworkInfo
	require.NoError(t, info.readChannelConfig(mustMarshal(t, cfg)))
	require.Equal(t, NetworkInfo{OrdererType: "etcdraft", Orderers: 3, BatchTimeout: "250ms", MaxMessageCount: 50,
		PreferredMaxBytes: 2 << 20, ChannelEndorsement: "MAJORITY Endorsement"}, info)

	t.Run("a configuration without an orderer group is an error", func(t *testing.T) {
		var info NetworkInfo
		require.Error(t, info.readChannelConfig(mustMarshal(t, &common.Config{ChannelGroup: &common.ConfigGroup{}})))
	})
}
