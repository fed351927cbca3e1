package ccguard

import (
	"maps"
	"reflect"

	"github.com/healthledger/healthledger/chaincode/internal/ccutil"
)

// withShared returns limits plus a bound for each transaction that the contract inherits from
// ccutil.Contract (ccutil.SharedLimits: SetConsortium, GetConsortium) and that limits does not
// bound itself. Those transactions are the same in every chaincode, so their bounds live with them,
// not in each chaincode's table (nor in its Limits section of docs/).
func withShared(sigs map[string][]reflect.Type, limits Limits) Limits {
	out := maps.Clone(limits)
	if out == nil {
		out = Limits{}
	}
	for name, maxArg := range ccutil.SharedLimits() {
		if _, ok := sigs[name]; !ok {
			continue
		}
		if _, ok := out[name]; !ok {
			out[name] = Func{MaxArg: maxArg}
		}
	}
	return out
}
