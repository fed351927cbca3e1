package bench

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// gRPC failures as a gateway reports them, kept apart from the chaincode's stable codes.

func grpcUnavailable(msg string) error { return status.Error(codes.Unavailable, msg) }

func grpcAborted(msg string) error { return status.Error(codes.Aborted, msg) }
