package driver

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Args are a request's arguments, kept raw so that "absent", "null" and
// "wrong type" stay distinguishable.
type Args map[string]json.RawMessage

// Has reports whether name was given (JSON null counts as absent).
func (a Args) Has(name string) bool {
	raw, ok := a[name]
	return ok && !bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// String returns a string argument; isString is false for other JSON types.
func (a Args) String(name string) (s string, isString bool) {
	if !a.Has(name) {
		return "", false
	}
	err := json.Unmarshal(a[name], &s)
	return s, err == nil
}

// Float returns a JSON number argument.
func (a Args) Float(name string) (float64, bool) {
	var f float64
	if !a.Has(name) || json.Unmarshal(a[name], &f) != nil {
		return 0, false
	}
	return f, true
}

// Int returns a JSON number argument that is a whole number (count, concurrency, protocol).
func (a Args) Int(name string) (int, bool) {
	f, ok := a.Float(name)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1e15 {
		return 0, false
	}
	return int(f), true
}

// Bool returns a JSON boolean argument.
func (a Args) Bool(name string) (b bool, ok bool) {
	if !a.Has(name) || json.Unmarshal(a[name], &b) != nil {
		return false, false
	}
	return b, true
}

// refused is the driver's answer to a value the SDK's Go API cannot take (PROTOCOL section 5):
// the driver would have to convert it, so it answers itself.
func refused(name string, raw json.RawMessage, why string) *ErrorInfo {
	return driverError("param_error", "DriverArgError", fmt.Sprintf(
		"%s=%s (JSON %s): %s, so the SDK's Go API cannot take this value as it is; the driver answered without the SDK",
		name, strings.TrimSpace(string(raw)), jsonKind(raw), why))
}

// Alias is the alias argument ("default" when absent). The Go SDKs have no
// aliases: the alias names the variable (the driver's map entry) holding a client.
func (a Args) Alias() (string, *ErrorInfo) {
	if !a.Has("alias") {
		return "default", nil
	}
	s, ok := a.String("alias")
	if !ok {
		return "", refused("alias", a["alias"], "the SDK has no aliases; an alias names a client variable, a string")
	}
	return s, nil
}

// Timeout is a timeout argument (seconds, a JSON number) as the time.Duration of a context
// deadline, the Go SDKs' per-call timeout: time.Duration(seconds * float64(time.Second)).
func (a Args) Timeout(name string) (*time.Duration, *ErrorInfo) {
	if !a.Has(name) {
		return nil, nil
	}
	f, ok := a.Float(name)
	if !ok || math.Abs(f*float64(time.Second)) >= math.MaxInt64 {
		return nil, refused(name, a[name], "a timeout is a context deadline, a time.Duration from a number of seconds")
	}
	t := time.Duration(f * float64(time.Second))
	return &t, nil
}

// ConnectArgs are the connect arguments, typed for a Go SDK. Pointer fields
// are nil when the argument was absent, so the SDK default applies.
type ConnectArgs struct {
	Alias string
	// Address is the one address string the Go SDKs take: the uri, the address, or
	// net.JoinHostPort(host, strconv.Itoa(port)) from a string host and an integer port.
	Address  string
	User     *string
	Password *string
	Token    *string
	DBName   *string
	Secure   *bool
	// TLS files (ca_cert, client_cert, client_key) and the name to verify the server's
	// certificate against (server_name); nil when absent.
	CACert     *string
	ClientCert *string
	ClientKey  *string
	ServerName *string
	TLS        *tls.Config // built from the above (TLSConfig); nil without them
	Timeout    *time.Duration
}

// OnlyAddress reports that no argument but the address (and the timeout,
// which goes into the context) was given: the doc's NewGrpcClient(ctx, addr).
func (c *ConnectArgs) OnlyAddress() bool {
	return c.User == nil && c.Password == nil && c.Token == nil && c.DBName == nil && c.Secure == nil &&
		!c.HasTLSFiles()
}

// HasTLSFiles reports that a CA, a client certificate or key, or a server name was given.
func (c *ConnectArgs) HasTLSFiles() bool {
	return c.CACert != nil || c.ClientCert != nil || c.ClientKey != nil || c.ServerName != nil
}

// TLSConfig builds the crypto/tls configuration the Go SDKs take for a custom CA and a
// client certificate: they have no file parameters, an application reads the files and
// hands a *tls.Config over as gRPC transport credentials. That reading is the driver's
// (application) code, so a file it cannot read or parse is a driver answer.
func (c *ConnectArgs) TLSConfig() (*tls.Config, *ErrorInfo) {
	if !c.HasTLSFiles() {
		return nil, nil
	}
	cfg := &tls.Config{}
	if c.ServerName != nil {
		cfg.ServerName = *c.ServerName
	}
	if c.CACert != nil {
		pem, err := os.ReadFile(*c.CACert)
		if err != nil {
			return nil, driverError("param_error", "DriverTLSFiles", fmt.Sprintf("ca_cert: %v", err))
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, driverError("param_error", "DriverTLSFiles", fmt.Sprintf(
				"ca_cert: no PEM certificate in %s", *c.CACert))
		}
		cfg.RootCAs = pool
	}
	if c.ClientCert != nil || c.ClientKey != nil {
		if c.ClientCert == nil || c.ClientKey == nil {
			return nil, driverError("param_error", "DriverTLSFiles",
				"client_cert and client_key go together (tls.LoadX509KeyPair needs both)")
		}
		pair, err := tls.LoadX509KeyPair(*c.ClientCert, *c.ClientKey)
		if err != nil {
			return nil, driverError("param_error", "DriverTLSFiles", fmt.Sprintf("client_cert/client_key: %v", err))
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// address is the one address string of a connect or open_many request: a string uri or
// address as given, or "<host>:<port>" from a string host and an integer port (PROTOCOL
// section 5). Anything else would need a conversion or a choice: the driver answers.
func address(a Args) (string, *ErrorInfo) {
	given := 0
	for _, name := range []string{"uri", "address", "host", "port"} {
		if a.Has(name) {
			given++
		}
	}
	for _, name := range []string{"uri", "address"} {
		if !a.Has(name) {
			continue
		}
		if given > 1 {
			return "", driverError("param_error", "DriverArgError", "the SDK takes one address string: "+
				"give uri, address or host and port, not several (the driver would have to choose)")
		}
		s, ok := a.String(name)
		if !ok {
			return "", refused(name, a[name], "the SDK's Address is a Go string")
		}
		return s, nil
	}
	if !a.Has("host") || !a.Has("port") {
		return "", driverError("param_error", "DriverArgError", "the SDK takes one address string and has no "+
			"default host or port: the driver composes it only from both host and port (no connect.defaults)")
	}
	host, ok := a.String("host")
	if !ok {
		return "", refused("host", a["host"], "the SDK takes one address string, composed only from a string host and an integer port")
	}
	var port int // json.Unmarshal into an int takes a whole JSON number only (not 19530.0, not "19530")
	if json.Unmarshal(a["port"], &port) != nil {
		return "", refused("port", a["port"], "the SDK takes one address string, composed only from a string host and an integer port")
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// ParseConnectArgs types the connect (and open_many) arguments. Arguments a
// Go SDK has no parameter for (handler, pool) are refused: the manifest does
// not declare those capabilities, so no scenario should send them.
func ParseConnectArgs(a Args) (*ConnectArgs, *ErrorInfo) {
	c := &ConnectArgs{}
	var err *ErrorInfo
	if c.Alias, err = a.Alias(); err != nil {
		return nil, err
	}
	for _, name := range []string{"handler", "pool"} {
		if a.Has(name) {
			return nil, driverError("param_error", "DriverArgError", fmt.Sprintf(
				"this Go SDK has no %q connect parameter (capability connect.%s is not declared)", name, name))
		}
	}
	if c.Address, err = address(a); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		dst  **string
	}{{"user", &c.User}, {"password", &c.Password}, {"token", &c.Token}, {"db_name", &c.DBName},
		{"ca_cert", &c.CACert}, {"client_cert", &c.ClientCert}, {"client_key", &c.ClientKey},
		{"server_name", &c.ServerName}} {
		if !a.Has(f.name) {
			continue
		}
		s, ok := a.String(f.name)
		if !ok {
			return nil, refused(f.name, a[f.name], "the SDK's field for it is a Go string")
		}
		*f.dst = &s
	}
	if a.Has("secure") {
		b, ok := a.Bool("secure")
		if !ok {
			return nil, refused("secure", a["secure"], "the SDK's EnableTLSAuth is a Go bool")
		}
		c.Secure = &b
	}
	if c.Timeout, err = a.Timeout("timeout"); err != nil {
		return nil, err
	}
	if c.TLS, err = c.TLSConfig(); err != nil {
		return nil, err
	}
	return c, nil
}

func jsonKind(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}
