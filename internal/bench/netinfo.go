package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer/etcdraft"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer/lifecycle"
	"google.golang.org/protobuf/proto"
)

// NetworkInfo are the settings of the network under test that bear on its speed, read from the
// channel's live configuration and chaincode definitions (not from what a script meant to set).
type NetworkInfo struct {
	Channel string   `json:"channel"`
	Layout  string   `json:"layout"`
	Orgs    []string `json:"orgs"`
	// Orderers is the number of consenters; OrdererType the consensus (etcdraft).
	Orderers          int    `json:"orderers"`
	OrdererType       string `json:"ordererType"`
	BatchTimeout      string `json:"batchTimeout"`
	MaxMessageCount   uint32 `json:"maxMessageCount"`
	PreferredMaxBytes uint32 `json:"preferredMaxBytes"`
	// ChannelEndorsement is the channel's default endorsement policy (/Channel/Application/Endorsement).
	ChannelEndorsement string `json:"channelEndorsement"`
	// Endorsement maps each deployed chaincode to its endorsement policy.
	Endorsement map[string]string `json:"endorsement"`
	// Problems lists what could not be read.
	Problems []string `json:"problems,omitempty" metadata:",optional"`
}

// ReadNetworkInfo asks the network, as identity name, for its channel configuration (cscc) and the
// definition of every deployed chaincode (_lifecycle). What it cannot read is listed in Problems.
func ReadNetworkInfo(ctx context.Context, env *Env, name string) NetworkInfo {
	n := env.Net
	info := NetworkInfo{Channel: n.Channel(), Layout: n.Layout(), Orgs: []string{}, Endorsement: map[string]string{}}
	for _, o := range n.Orgs() {
		info.Orgs = append(info.Orgs, o.MSPID)
	}
	c, err := env.Loader(ctx, name)
	if err != nil {
		info.Problems = append(info.Problems, err.Error())
		return info
	}
	if raw, err := c.Contract("cscc").Evaluate(ctx, "GetChannelConfig", []string{n.Channel()}); err != nil {
		info.Problems = append(info.Problems, "channel configuration: "+err.Error())
	} else if err := info.readChannelConfig(raw); err != nil {
		info.Problems = append(info.Problems, "channel configuration: "+err.Error())
	}
	for _, cc := range n.Chaincodes() {
		arg, err := proto.Marshal(&lifecycle.QueryChaincodeDefinitionArgs{Name: cc})
		if err != nil {
			info.Problems = append(info.Problems, fmt.Sprintf("definition of %s: %v", cc, err))
			continue
		}
		raw, err := c.Contract("_lifecycle").Evaluate(ctx, "QueryChaincodeDefinition", []string{string(arg)})
		if err != nil {
			info.Problems = append(info.Problems, fmt.Sprintf("definition of %s: %v", cc, err))
			continue
		}
		policy, err := endorsementPolicy(raw)
		if err != nil {
			info.Problems = append(info.Problems, fmt.Sprintf("definition of %s: %v", cc, err))
			continue
		}
		info.Endorsement[cc] = policy
	}
	return info
}

func (info *NetworkInfo) readChannelConfig(raw []byte) error {
	var cfg common.Config
	if err := proto.Unmarshal(raw, &cfg); err != nil {
		return fmt.Errorf("decoding: %w", err)
	}
	if app := cfg.GetChannelGroup().GetGroups()["Application"]; app != nil {
		if p := app.GetPolicies()["Endorsement"].GetPolicy(); p != nil && p.GetType() == int32(common.Policy_IMPLICIT_META) {
			var im common.ImplicitMetaPolicy
			if err := proto.Unmarshal(p.GetValue(), &im); err == nil {
				info.ChannelEndorsement = im.GetRule().String() + " " + im.GetSubPolicy()
			}
		}
	}
	ord := cfg.GetChannelGroup().GetGroups()["Orderer"]
	if ord == nil {
		return fmt.Errorf("no Orderer group")
	}
	values := ord.GetValues()
	var bt orderer.BatchTimeout
	if err := unmarshalValue(values, "BatchTimeout", &bt); err != nil {
		return err
	}
	info.BatchTimeout = bt.GetTimeout()
	var bs orderer.BatchSize
	if err := unmarshalValue(values, "BatchSize", &bs); err != nil {
		return err
	}
	info.MaxMessageCount, info.PreferredMaxBytes = bs.GetMaxMessageCount(), bs.GetPreferredMaxBytes()
	var ct orderer.ConsensusType
	if err := unmarshalValue(values, "ConsensusType", &ct); err != nil {
		return err
	}
	info.OrdererType = ct.GetType()
	if ct.GetType() == "etcdraft" {
		var md etcdraft.ConfigMetadata
		if err := proto.Unmarshal(ct.GetMetadata(), &md); err != nil {
			return fmt.Errorf("decoding the etcdraft metadata: %w", err)
		}
		info.Orderers = len(md.GetConsenters())
	}
	return nil
}

func unmarshalValue(values map[string]*common.ConfigValue, key string, m proto.Message) error {
	v, ok := values[key]
	if !ok {
		return fmt.Errorf("no %s value", key)
	}
	if err := proto.Unmarshal(v.GetValue(), m); err != nil {
		return fmt.Errorf("decoding %s: %w", key, err)
	}
	return nil
}

// endorsementPolicy renders the endorsement policy of a QueryChaincodeDefinitionResult.
func endorsementPolicy(raw []byte) (string, error) {
	var def lifecycle.QueryChaincodeDefinitionResult
	if err := proto.Unmarshal(raw, &def); err != nil {
		return "", fmt.Errorf("decoding: %w", err)
	}
	if len(def.GetValidationParameter()) == 0 {
		return "channel default (/Channel/Application/Endorsement)", nil
	}
	var ap peer.ApplicationPolicy
	if err := proto.Unmarshal(def.GetValidationParameter(), &ap); err != nil {
		return "", fmt.Errorf("decoding the policy: %w", err)
	}
	if ref := ap.GetChannelConfigPolicyReference(); ref != "" {
		return "channel policy " + ref, nil
	}
	env := ap.GetSignaturePolicy()
	if env == nil {
		return "", fmt.Errorf("the policy is neither a reference nor a signature policy")
	}
	return renderSignaturePolicy(env.GetRule(), env.GetIdentities())
}

// renderSignaturePolicy writes a signature policy the way Fabric's policy language does:
// AND('A.peer', OR('B.peer', 'C.peer')), OutOf(2, ...).
func renderSignaturePolicy(rule *common.SignaturePolicy, ids []*msp.MSPPrincipal) (string, error) {
	switch t := rule.GetType().(type) {
	case *common.SignaturePolicy_SignedBy:
		i := int(t.SignedBy)
		if i < 0 || i >= len(ids) {
			return "", fmt.Errorf("the policy names principal %d of %d", i, len(ids))
		}
		return renderPrincipal(ids[i])
	case *common.SignaturePolicy_NOutOf_:
		parts := make([]string, 0, len(t.NOutOf.GetRules()))
		for _, r := range t.NOutOf.GetRules() {
			p, err := renderSignaturePolicy(r, ids)
			if err != nil {
				return "", err
			}
			parts = append(parts, p)
		}
		n := int(t.NOutOf.GetN())
		switch {
		case n == len(parts) && n > 1:
			return "AND(" + strings.Join(parts, ", ") + ")", nil
		case n == 1 && len(parts) > 1:
			return "OR(" + strings.Join(parts, ", ") + ")", nil
		case len(parts) == 1 && n == 1:
			return parts[0], nil
		}
		return fmt.Sprintf("OutOf(%d, %s)", n, strings.Join(parts, ", ")), nil
	}
	return "", fmt.Errorf("unknown signature policy rule")
}

func renderPrincipal(p *msp.MSPPrincipal) (string, error) {
	if p.GetPrincipalClassification() != msp.MSPPrincipal_ROLE {
		return fmt.Sprintf("'%s principal'", p.GetPrincipalClassification()), nil
	}
	var role msp.MSPRole
	if err := proto.Unmarshal(p.GetPrincipal(), &role); err != nil {
		return "", fmt.Errorf("decoding a principal: %w", err)
	}
	return fmt.Sprintf("'%s.%s'", role.GetMspIdentifier(), strings.ToLower(role.GetRole().String())), nil
}

// MachineInfo describes the machine a run measured on.
type MachineInfo struct {
	CPUModel string  `json:"cpuModel"`
	Cores    int     `json:"cores"`
	MemoryGB float64 `json:"memoryGB"`
	Kernel   string  `json:"kernel"`
	OS       string  `json:"os"`
	Go       string  `json:"go"`
	// LoadAverage is the 1, 5 and 15 minute load average when the run began: on a shared machine it
	// says how busy the others kept it.
	LoadAverage []float64 `json:"loadAverage"`
}

// ReadMachineInfo describes this machine from /proc (fields it cannot read stay empty).
func ReadMachineInfo() MachineInfo {
	m := MachineInfo{Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version(), LoadAverage: []float64{}}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.Join(strings.Fields(v), " ")
				break
			}
		}
		_ = f.Close()
	}
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(raw)) {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if f := strings.Fields(rest); len(f) >= 1 {
					if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
						m.MemoryGB = float64(int(kb/1024/1024*10+0.5)) / 10
					}
				}
			}
		}
	}
	if raw, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(raw))
	}
	m.LoadAverage = LoadAverage()
	return m
}

// LoadAverage returns the 1, 5 and 15 minute load averages, or an empty slice.
func LoadAverage() []float64 {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return []float64{}
	}
	f := strings.Fields(string(raw))
	out := make([]float64, 0, 3)
	for _, s := range f[:min(3, len(f))] {
		if v, err := strconv.ParseFloat(s, 64); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// policySummary is a short, stable rendering of the endorsement policies for a table.
func (info NetworkInfo) policySummary() []string {
	names := make([]string, 0, len(info.Endorsement))
	for k := range info.Endorsement {
		names = append(names, k)
	}
	slices.Sort(names)
	out := make([]string, len(names))
	for i, k := range names {
		out[i] = k + ": " + info.Endorsement[k]
	}
	return out
}
