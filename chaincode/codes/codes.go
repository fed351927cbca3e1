// Package codes defines the stable error codes that every healthledger chaincode reports and that the
// SDK maps to sentinel errors.
//
// A chaincode failure travels to the client as a plain string. This package fixes its shape:
//
//	CODE: human readable message
//
// where CODE is one of the constants below. The package imports neither the chaincode shim nor the
// gateway client, so the chaincodes and the SDK share one definition.
package codes

import (
	"errors"
	"fmt"
	"strings"
)

// Code is a stable, machine-readable failure kind.
type Code string

// The stable codes. Their spelling is part of the wire contract: never rename one.
const (
	NotFound           Code = "NOT_FOUND"
	Forbidden          Code = "FORBIDDEN"
	InvalidArgument    Code = "INVALID_ARGUMENT"
	Conflict           Code = "CONFLICT"
	Duplicate          Code = "DUPLICATE"
	PreconditionFailed Code = "PRECONDITION_FAILED"
	Unavailable        Code = "UNAVAILABLE"
	Internal           Code = "INTERNAL"
)

// All lists every code, in a fixed order.
func All() []Code {
	return []Code{NotFound, Forbidden, InvalidArgument, Conflict, Duplicate, PreconditionFailed, Unavailable, Internal}
}

// Valid reports whether c is one of the stable codes.
func (c Code) Valid() bool {
	for _, k := range All() {
		if c == k {
			return true
		}
	}
	return false
}

// Error is a failure with a stable code. Its Error() text is the wire form "CODE: message".
type Error struct {
	Code    Code
	Message string
	// Err is the cause, when there is one. It is not part of the wire form: only Code and Message
	// reach the client. errors.Is and errors.As reach it through Unwrap.
	Err error
}

// Error returns the wire form of the failure.
func (e *Error) Error() string {
	return string(e.Code) + ": " + e.Message
}

// Is makes errors.Is(err, &Error{Code: c}) match any error with the same code.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.Message == "" && t.Code == e.Code
}

// Unwrap returns the cause, or nil.
func (e *Error) Unwrap() error { return e.Err }

// Wrap returns an error with the given code and message that keeps cause for errors.Is and
// errors.As. The cause's text is not added to the message: say in the message what a client may read.
func Wrap(code Code, cause error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: cause}
}

// Of returns the stable code of err: the code of the first *Error in its chain, else the first
// "CODE: message" in its text, else "". It is the one way to read a code.
func Of(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if p, ok := Parse(err.Error()); ok {
		return p.Code
	}
	return ""
}

// New returns an error with the given code and a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Parse finds the first "CODE: message" in text and returns it. Text from the gateway often wraps the
// chaincode's message ("chaincode response 500, NOT_FOUND: ..."), so the code may stand anywhere in it.
// It reports false when no stable code is present.
func Parse(text string) (*Error, bool) {
	best := -1
	var found Code
	for _, c := range All() {
		marker := string(c) + ": "
		idx := strings.Index(text, marker)
		for idx > 0 && isCodeRune(text[idx-1]) {
			// Part of a longer word; look further on.
			next := strings.Index(text[idx+1:], marker)
			if next < 0 {
				idx = -1
				break
			}
			idx += 1 + next
		}
		if idx >= 0 && (best < 0 || idx < best) {
			best, found = idx, c
		}
	}
	if best < 0 {
		return nil, false
	}
	return &Error{Code: found, Message: strings.TrimSpace(text[best+len(found)+2:])}, true
}

func isCodeRune(b byte) bool {
	return b == '_' || (b >= 'A' && b <= 'Z')
}
