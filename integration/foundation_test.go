//go:build integration

package integration

import (
	"fmt"
	"strings"
	"testing"

	"github.com/healthledger/healthledger/gateway-client/sdk"
	"github.com/stretchr/testify/require"
)

func TestEveryNodeIsHealthy(t *testing.T) {
	if env.netdir == "" {
		t.Skip("the network under test was not started by this suite; its operator checks its health")
	}
	out, err := env.networkOutput("status")
	require.NoError(t, err, out)
	require.Contains(t, out, "nodes healthy")
	require.NotContains(t, out, "unhealthy")
	require.NotContains(t, out, "stopped")
	require.NotContains(t, out, "raft leader: none")
	require.Contains(t, out, "baseline  sequence")
}

func TestBaselineWriteEndorsedByTwoOrgsIsReadThroughTheThird(t *testing.T) {
	orgs := env.net.Orgs()
	require.GreaterOrEqual(t, len(orgs), 2, "the baseline test needs two orgs")
	writerOrg, endorser, readerOrg := orgs[0], orgs[1], orgs[len(orgs)-1]

	writer := connect(t, identityOfOrg(t, writerOrg.Name).Name)
	reader := connect(t, identityOfOrg(t, readerOrg.Name).Name)
	key, value := unique("it-baseline"), "value-"+strings.Repeat("x", 100)

	_, err := writer.Contract("baseline").Submit(ctx(t), "Write", []string{key, value},
		sdk.WithEndorsingOrgs(writerOrg.MSPID, endorser.MSPID))
	require.NoError(t, err)

	eventually(t, "reading the write through "+readerOrg.Name, func() error {
		got, err := reader.Contract("baseline").Evaluate(ctx(t), "Read", []string{key})
		if err != nil {
			return err
		}
		if string(got) != value {
			return fmt.Errorf("read %q, want %q", got, value)
		}
		return nil
	})
	require.Equal(t, readerOrg.MSPID, reader.Identity().MSPID)
}

func TestDeployingAChangedChaincodeBumpsTheSequenceAndKeepsTheState(t *testing.T) {
	if env.netdir == "" {
		t.Skip("redeploys only on a network this suite started")
	}
	org := env.net.Orgs()[0]
	c := connect(t, identityOfOrg(t, org.Name).Name)
	key := unique("it-upgrade")
	_, err := c.Contract("baseline").Submit(ctx(t), "Write", []string{key, "before the upgrade"})
	require.NoError(t, err)

	out, err := env.networkOutputEnv([]string{"HL_CC_BUILD_TAG=" + key}, "deploy", "baseline")
	require.NoError(t, err, out)
	require.Regexp(t, `chaincode baseline: sequence [2-9][0-9]* committed`, out)

	status, err := env.networkOutput("status")
	require.NoError(t, err, status)
	require.Regexp(t, `baseline  sequence [2-9]`, status)

	eventually(t, "reading the key after the upgrade", func() error {
		got, err := c.Contract("baseline").Evaluate(ctx(t), "Read", []string{key})
		if err != nil {
			return err
		}
		if string(got) != "before the upgrade" {
			return fmt.Errorf("read %q after the upgrade", got)
		}
		return nil
	})
}
