//go:build !linux

package driver

import (
	"io"
	"os"
)

// protocolStdout: elsewhere than Linux the SDK shares stdout with the protocol
// (the SDKs print nothing to stdout; this is a guard on Linux only).
func protocolStdout() io.Writer { return os.Stdout }
