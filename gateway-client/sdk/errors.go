package sdk

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/healthledger/healthledger/chaincode/codes"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/status"
)

// The sentinels that errors.Is matches on anything a call returns. Each stands for one stable chaincode
// code (package chaincode/codes); a few gateway failures map to them too, as noted.
var (
	// ErrNotFound: the chaincode reported NOT_FOUND.
	ErrNotFound = errors.New("not found")
	// ErrForbidden: the chaincode reported FORBIDDEN, the gateway refused the identity (gRPC
	// PermissionDenied), a system chaincode refused it by the channel's ACLs ("access denied for
	// [GetBlockByNumber]..."), or a block or event stream was refused (status FORBIDDEN).
	ErrForbidden = errors.New("forbidden")
	// ErrInvalidArgument: the chaincode reported INVALID_ARGUMENT.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrConflict: the chaincode reported CONFLICT, or, after the retries, the transaction still failed
	// to commit with MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT, or its endorsing peers still returned
	// different results ("ProposalResponsePayloads do not match", peers at different heights).
	ErrConflict = errors.New("conflict")
	// ErrEndorsementMismatch: after the retries, the endorsing peers still returned different results
	// ("ProposalResponsePayloads do not match": typically peers at different block heights, one not
	// yet at the block a read depends on). Nothing was submitted. It matches ErrConflict too.
	ErrEndorsementMismatch = fmt.Errorf("endorsing peers returned different results: %w", ErrConflict)
	// ErrDuplicate: the chaincode reported DUPLICATE (the client-chosen id is taken).
	ErrDuplicate = errors.New("duplicate")
	// ErrPreconditionFailed: the chaincode reported PRECONDITION_FAILED.
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrUnavailable: the chaincode reported UNAVAILABLE, or the peers stayed unavailable or overloaded
	// (gRPC Unavailable or ResourceExhausted) after the retries.
	ErrUnavailable = errors.New("unavailable")
	// ErrInternal: the chaincode reported INTERNAL.
	ErrInternal = errors.New("internal chaincode error")
)

// sentinelFor maps a stable code to its sentinel.
func sentinelFor(c codes.Code) error {
	switch c {
	case codes.NotFound:
		return ErrNotFound
	case codes.Forbidden:
		return ErrForbidden
	case codes.InvalidArgument:
		return ErrInvalidArgument
	case codes.Conflict:
		return ErrConflict
	case codes.Duplicate:
		return ErrDuplicate
	case codes.PreconditionFailed:
		return ErrPreconditionFailed
	case codes.Unavailable:
		return ErrUnavailable
	case codes.Internal:
		return ErrInternal
	}
	return nil
}

// Error is a failed call. errors.Is matches its sentinel (ErrNotFound ...) and, for a deadline or a
// cancellation, context.DeadlineExceeded or context.Canceled; errors.As reaches the error underneath:
// the fabric-gateway error (*client.EndorseError, *client.SubmitError, *client.CommitStatusError, a gRPC
// status error for an evaluation) with its per-peer details, or a [*CommitError].
type Error struct {
	// Chaincode and Function name the call.
	Chaincode string
	Function  string
	// Code is the stable code the chaincode reported; empty when the failure is not the chaincode's.
	Code codes.Code
	// Message is the chaincode's message when Code is set, otherwise a one-line summary.
	Message string
	// TransactionID of the last attempt, when one was made.
	TransactionID string
	// Attempts is how many times the call was tried.
	Attempts int
	// Err is the error underneath.
	Err error

	sentinel error
}

// Error returns one line: the call, then the stable code and message, or a summary of the failure.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Chaincode != "" || e.Function != "" {
		b.WriteString(e.Chaincode)
		b.WriteString(".")
		b.WriteString(e.Function)
		b.WriteString(": ")
	}
	if e.Code != "" {
		b.WriteString(string(e.Code))
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap returns the sentinel (when one applies) and the error underneath.
func (e *Error) Unwrap() []error {
	out := make([]error, 0, 2)
	if e.sentinel != nil {
		out = append(out, e.sentinel)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

// Is makes errors.Is(err, context.DeadlineExceeded) and errors.Is(err, context.Canceled) true when the
// gateway reported the matching gRPC status.
func (e *Error) Is(target error) bool {
	switch target {
	case context.DeadlineExceeded:
		return isDeadlineExceeded(e.Err)
	case context.Canceled:
		return isCanceled(e.Err)
	}
	return false
}

// Details returns the per-peer details the gateway attached to the failure (empty when none).
func (e *Error) Details() []*gateway.ErrorDetail {
	return detailsOf(e.Err)
}

// CommitError reports a transaction that was ordered but failed validation. It unwraps to the
// fabric-gateway *client.CommitError, so errors.As works with either type.
type CommitError struct {
	TransactionID string
	Code          peer.TxValidationCode
	BlockNumber   uint64
}

// Error describes the validation failure.
func (e *CommitError) Error() string {
	return fmt.Sprintf("transaction %s failed to commit with status code %d (%s)",
		e.TransactionID, int32(e.Code), e.Code.String())
}

// Unwrap returns the equivalent fabric-gateway error.
func (e *CommitError) Unwrap() error {
	return &client.CommitError{TransactionID: e.TransactionID, Code: e.Code}
}

// CodeOf returns the stable chaincode code carried by err, or "" when there is none.
func CodeOf(err error) codes.Code {
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	var ce *codes.Error
	if errors.As(err, &ce) {
		return ce.Code
	}
	if c, ok := parseCode(err); ok {
		return c.Code
	}
	return ""
}

// mapError turns a failure of one call into an *Error. It returns nil for nil.
func mapError(chaincode, fn, txID string, attempts int, err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	e := &Error{Chaincode: chaincode, Function: fn, TransactionID: txID, Attempts: attempts, Err: err}
	if id := txIDOf(err); id != "" {
		e.TransactionID = id
	}
	if c, ok := parseCode(err); ok {
		e.Code, e.Message, e.sentinel = c.Code, c.Message, sentinelFor(c.Code)
		return e
	}
	e.Message = oneLine(err)
	var commit *CommitError
	switch {
	case errors.As(err, &commit):
		if commit.Code == peer.TxValidationCode_MVCC_READ_CONFLICT || commit.Code == peer.TxValidationCode_PHANTOM_READ_CONFLICT {
			e.sentinel = ErrConflict
		}
	case isEndorsementMismatch(err):
		e.sentinel = ErrEndorsementMismatch
		e.Message = "endorsing peers returned different results (ProposalResponsePayloads do not match), nothing was submitted: " + e.Message
	case isUnavailable(err), isChaincodeUnreachable(err):
		e.sentinel = ErrUnavailable
	case isPermissionDenied(err), isACLDenied(err):
		e.sentinel = ErrForbidden
	}
	return e
}

// parseCode finds a stable code in the error's text or in its per-peer details.
func parseCode(err error) (*codes.Error, bool) {
	var ce *codes.Error
	if errors.As(err, &ce) {
		return ce, true
	}
	for _, d := range detailsOf(err) {
		if c, ok := codes.Parse(d.GetMessage()); ok {
			return c, true
		}
	}
	if st, ok := status.FromError(err); ok {
		if c, ok := codes.Parse(st.Message()); ok {
			return c, true
		}
	}
	return codes.Parse(err.Error())
}

func detailsOf(err error) []*gateway.ErrorDetail {
	out := []*gateway.ErrorDetail{}
	if err == nil {
		return out
	}
	st, ok := status.FromError(err)
	if !ok {
		return out
	}
	for _, d := range st.Details() {
		if ed, ok := d.(*gateway.ErrorDetail); ok {
			out = append(out, ed)
		}
	}
	return out
}

func txIDOf(err error) string {
	var te *client.TransactionError
	if errors.As(err, &te) {
		return te.TransactionID
	}
	var ce *CommitError
	if errors.As(err, &ce) {
		return ce.TransactionID
	}
	return ""
}

// oneLine summarises err on a single line, with the per-peer details the gateway attached.
func oneLine(err error) string {
	text := err.Error()
	var te *client.TransactionError
	if !errors.As(err, &te) {
		// Evaluation errors do not print their details; add them.
		for _, d := range detailsOf(err) {
			text += fmt.Sprintf(" [%s %s: %s]", d.GetMspId(), d.GetAddress(), d.GetMessage())
		}
	}
	return strings.Join(strings.Fields(text), " ")
}
