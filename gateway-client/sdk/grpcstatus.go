package sdk

import (
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The gRPC status codes the SDK classifies. They live in this file alone, apart from the chaincode's
// stable codes (package chaincode/codes), so that no file needs both packages under one name.

// grpcCode returns the gRPC code of err, or OK when err carries no gRPC status.
func grpcCode(err error) codes.Code {
	if err == nil {
		return codes.OK
	}
	st, ok := status.FromError(err)
	if !ok {
		return codes.Unknown
	}
	return st.Code()
}

// isUnavailable: the gateway or a peer could not serve the call now (retryable).
func isUnavailable(err error) bool {
	c := grpcCode(err)
	return c == codes.Unavailable || c == codes.ResourceExhausted
}

func isDeadlineExceeded(err error) bool { return grpcCode(err) == codes.DeadlineExceeded }

func isCanceled(err error) bool { return grpcCode(err) == codes.Canceled }

func isPermissionDenied(err error) bool { return grpcCode(err) == codes.PermissionDenied }

// aclDenied is how Fabric's system chaincodes (qscc, cscc) refuse a caller that the channel's ACLs
// do not admit: "access denied for [GetBlockByNumber][healthchannel]: ...". It reaches the client as a
// chaincode response 500 in the status message or in a peer's error details.
const aclDenied = "access denied for ["

// creatorDenied is how a peer refuses a proposal whose creator the channel's MSPs do not accept: a
// certificate revoked by a CRL in the org's MSP definition, expired, or not issued by the org's CAs
// ("access denied: channel [healthchannel] creator org [HospitalMSP]"). The peer logs the reason;
// the client gets only this.
const creatorDenied = "access denied: channel ["

// isACLDenied: a system chaincode refused the caller by the channel's ACLs, or a peer refused the
// caller's certificate.
func isACLDenied(err error) bool {
	if err == nil {
		return false
	}
	has := func(s string) bool { return strings.Contains(s, aclDenied) || strings.Contains(s, creatorDenied) }
	if has(err.Error()) {
		return true
	}
	for _, d := range detailsOf(err) {
		if has(d.GetMessage()) {
			return true
		}
	}
	return false
}
