package ccguard

import (
	"fmt"
	"reflect"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// signatures returns the transactions contractapi makes of contract, each with its parameter types
// (the transaction context left out), by the rules of contractapi.NewChaincode: every exported
// method of the contract's pointer type except the methods of contractapi's contract interfaces and
// the contract's ignored functions.
func signatures(contract contractapi.ContractInterface) (map[string][]reflect.Type, error) {
	t := reflect.TypeOf(contract)
	if t == nil || t.Kind() != reflect.Pointer {
		return nil, fmt.Errorf("ccguard: the contract must be a pointer to a struct, not %v", t)
	}
	excluded := map[string]bool{}
	for _, it := range []reflect.Type{
		reflect.TypeFor[contractapi.ContractInterface](),
		reflect.TypeFor[contractapi.IgnoreContractInterface](),
		reflect.TypeFor[contractapi.EvaluationContractInterface](),
	} {
		for i := range it.NumMethod() {
			excluded[it.Method(i).Name] = true
		}
	}
	if ig, ok := contract.(contractapi.IgnoreContractInterface); ok {
		for _, name := range ig.GetIgnoredFunctions() {
			excluded[name] = true
		}
	}
	ctxType := reflect.TypeOf(contract.GetTransactionContextHandler())
	out := map[string][]reflect.Type{}
	for i := range t.NumMethod() {
		m := t.Method(i)
		if excluded[m.Name] {
			continue
		}
		params := []reflect.Type{}
		for j := 1; j < m.Type.NumIn(); j++ {
			in := m.Type.In(j)
			if j == 1 && isContext(in, ctxType) {
				continue
			}
			params = append(params, in)
		}
		out[m.Name] = params
	}
	return out, nil
}

// isContext reports whether a first parameter of type in takes the transaction context.
func isContext(in, ctxType reflect.Type) bool {
	return in == ctxType || (in.Kind() == reflect.Interface && ctxType.Implements(in))
}

// describe says what an argument of type t must look like.
func describe(t reflect.Type) string {
	if t == reflect.TypeFor[time.Time]() {
		return "an RFC 3339 time"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	}
	return "JSON of the shape of " + t.String()
}

// Uniform returns limits that bound every transaction of contract alike, with f. It is for test
// contracts and tools; a healthledger chaincode documents a bound per transaction.
func Uniform(contract contractapi.ContractInterface, f Func) (Limits, error) {
	sigs, err := signatures(contract)
	if err != nil {
		return nil, err
	}
	out := Limits{}
	for name := range sigs {
		out[name] = f
	}
	return out, nil
}
