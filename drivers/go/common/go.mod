module milvus-conformance/drivers/go/common

go 1.22

// The lowest gRPC any supported SDK uses: the driver module's own go.mod
// (written by ../build.py) lets the SDK pick the version actually built.
require google.golang.org/grpc v1.48.0
