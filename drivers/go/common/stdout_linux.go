package driver

import (
	"io"
	"os"
	"syscall"
)

// protocolStdout keeps the real stdout for protocol lines only and points
// file descriptor 1 at stderr, so nothing the SDK (or a library under it)
// prints can corrupt the protocol stream.
func protocolStdout() io.Writer {
	fd, err := syscall.Dup(1)
	if err != nil {
		return os.Stdout
	}
	if err := syscall.Dup3(2, 1, 0); err != nil {
		syscall.Close(fd)
		return os.Stdout
	}
	f := os.NewFile(uintptr(fd), "protocol-stdout")
	os.Stdout = os.Stderr
	return f
}
