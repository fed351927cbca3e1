package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/healthledger/healthledger/chaincode/codes"
)

// DecodeStrict decodes exactly one JSON value from raw into v. It refuses unknown fields and
// anything but white space after the value (a second value, a stray '}' or ']', text), with
// INVALID_ARGUMENT. what names the input in the message ("claim details", "the consent").
//
// The message says where the fault is (a byte offset, a field name, the expected type), never what
// the input holds, so it is safe to return for private or transient input.
func DecodeStrict(what string, raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return codes.New(codes.InvalidArgument, "%s is not valid JSON of the expected shape: %s", what, describe(err))
	}
	// Decode stops after one value; whatever follows must be white space only. dec.More is no test
	// of that: it is false at a '}' or ']'.
	rest, err := io.ReadAll(dec.Buffered())
	if err != nil {
		return codes.New(codes.Internal, "reading %s: %v", what, err)
	}
	off := dec.InputOffset()
	if len(bytes.TrimSpace(rest)) > 0 || len(bytes.TrimSpace(raw[min(int(off)+len(rest), len(raw)):])) > 0 {
		return codes.New(codes.InvalidArgument, "%s has data after its JSON value (at byte %d)", what, off)
	}
	return nil
}

// describe turns a decoding error into a message that places the fault without quoting the input.
func describe(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return "empty input"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the input ends in the middle of a value"
	case errors.As(err, &syn):
		return "syntax error at byte " + itoa(syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the value"
		}
		return "field " + field + " must be " + typ.Type.String() + " (at byte " + itoa(typ.Offset) + ")"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// The field name is the key the caller sent, not a value.
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	}
	return "malformed JSON"
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
