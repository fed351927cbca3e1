package cctest

import (
	"encoding/json"

	"github.com/healthledger/healthledger/chaincode/internal/orgroles"
)

// The MSP ids of the default layout.
const (
	HospitalMSP = "HospitalMSP"
	PharmaMSP   = "PharmaMSP"
	InsurerMSP  = "InsurerMSP"
)

// DefaultConsortium returns the consortium map of the default layout, which a Ledger installs in the
// namespace of every chaincode it registers unless WithConsortium says otherwise: patient, provider
// and pharmacist to HospitalMSP; manufacturer and distributor to PharmaMSP; insurer and auditor to
// InsurerMSP; GS1 company prefix 0614141 to PharmaMSP; version 1.
func DefaultConsortium() *orgroles.Map {
	return &orgroles.Map{
		Roles: map[string][]string{
			"patient":      {HospitalMSP},
			"provider":     {HospitalMSP},
			"pharmacist":   {HospitalMSP},
			"manufacturer": {PharmaMSP},
			"distributor":  {PharmaMSP},
			"insurer":      {InsurerMSP},
			"auditor":      {InsurerMSP},
		},
		GS1Prefixes: map[string][]string{PharmaMSP: {"0614141"}},
		Version:     1,
	}
}

// WithConsortium sets the map installed in every registered chaincode's namespace; nil installs none,
// so that role checks fail closed.
func WithConsortium(m *orgroles.Map) Option {
	return func(l *Ledger) { l.consortium = m }
}

// InstallConsortium writes m as namespace ns's committed consortium map, as deploy would, without a
// transaction: no history entry, no tick of the clock. A nil m removes it.
func (l *Ledger) InstallConsortium(ns string, m *orgroles.Map) {
	l.tb.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.installConsortium(ns, m)
}

// installConsortium is InstallConsortium with l.mu held.
func (l *Ledger) installConsortium(ns string, m *orgroles.Map) {
	if l.state[ns] == nil {
		l.state[ns] = map[string][]byte{}
	}
	if m == nil {
		delete(l.state[ns], orgroles.Key())
		return
	}
	raw, err := json.Marshal(m)
	if err != nil {
		l.tb.Fatalf("cctest: encoding the consortium map: %v", err)
		return
	}
	l.state[ns][orgroles.Key()] = raw
}

// ValidationParameter returns the committed key-level endorsement policy of a public key of
// namespace ns, or nil when it has none.
func (l *Ledger) ValidationParameter(ns, key string) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return clone(l.vparams[ns][key])
}

// PrivateValidationParameter returns the committed key-level endorsement policy of a key of a private
// data collection, or nil when it has none.
func (l *Ledger) PrivateValidationParameter(ns, coll, key string) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return clone(l.pvtVparams[collectionID{ns, coll}][key])
}
