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

// Text returns a string argument as is, any other JSON value as its JSON text
// (123 -> "123"): how an SDK taking one string would see it.
func (a Args) Text(name string) (text string, wasString bool) {
	if s, ok := a.String(name); ok {
		return s, true
	}
	return string(bytes.TrimSpace(a[name])), false
}

// Float returns a JSON number argument.
func (a Args) Float(name string) (float64, bool) {
	var f float64
	if !a.Has(name) || json.Unmarshal(a[name], &f) != nil {
		return 0, false
	}
	return f, true
}

// Int returns a JSON number argument that is a whole number.
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

// Alias is the alias argument ("default" when absent). The Go SDKs have no
// alias registry: the alias only keys the driver's own map, so a non-string
// alias is keyed by its JSON text.
func (a Args) Alias() (alias string, note string) {
	if !a.Has("alias") {
		return "default", ""
	}
	text, wasString := a.Text("alias")
	if !wasString {
		return text, fmt.Sprintf("alias %s is not a string; the SDK has no alias, the driver keys its map by %q", text, text)
	}
	return text, ""
}

// ConnectArgs are the connect arguments, typed for a Go SDK. Pointer fields
// are nil when the argument was absent, so the SDK default applies.
type ConnectArgs struct {
	Alias string
	// Address is the one address string the Go SDKs take: the uri, else the
	// address, else "<host>:<port>" (net.JoinHostPort) built from host and/or
	// port exactly as given. AddressFrom names the source ("" when none).
	Address     string
	AddressFrom string
	User        *string
	Password    *string
	Token       *string
	DBName      *string
	Secure      *bool
	// TLS files (PROTOCOL connect args ca_cert, client_cert, client_key) and the name
	// to verify the server's certificate against (server_name); nil when absent.
	CACert     *string
	ClientCert *string
	ClientKey  *string
	ServerName *string
	TLS        *tls.Config // built from the above by ParseConnectArgs (TLSConfig); nil without them
	Timeout    *time.Duration
	Notes      []string // how the driver turned JSON values into Go values
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

// TLSConfig builds the crypto/tls configuration the Go SDKs accept for a custom CA and a
// client certificate (they have no file-path parameters: the application builds a
// *tls.Config and hands it over as gRPC transport credentials). nil when no TLS file
// argument was given. A file that cannot be read or parsed is the application's error,
// reported as param_error (type DriverTLSFiles) with Go's own message.
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

// Summary is a printable, comparable description (no password).
func (c *ConnectArgs) Summary() map[string]any {
	m := map[string]any{"address": c.Address, "address_from": c.AddressFrom}
	if c.User != nil {
		m["user"] = *c.User
	}
	if c.DBName != nil {
		m["db_name"] = *c.DBName
	}
	if c.Secure != nil {
		m["secure"] = *c.Secure
	}
	for name, v := range map[string]*string{"ca_cert": c.CACert, "client_cert": c.ClientCert,
		"client_key": c.ClientKey, "server_name": c.ServerName} {
		if v != nil {
			m[name] = *v
		}
	}
	if c.Token != nil || c.Password != nil {
		m["credentials"] = true
	}
	return m
}

// ParseConnectArgs types the connect (and open_many) arguments. Arguments a
// Go SDK has no parameter for (handler, pool) are rejected: the manifest does
// not declare those capabilities, so no scenario should send them.
func ParseConnectArgs(a Args) (*ConnectArgs, *ErrorInfo) {
	c := &ConnectArgs{}
	var note string
	c.Alias, note = a.Alias()
	if note != "" {
		c.Notes = append(c.Notes, note)
	}
	for _, name := range []string{"handler", "pool"} {
		if a.Has(name) {
			return nil, driverError("param_error", "DriverArgError", fmt.Sprintf(
				"this Go SDK has no %q connect parameter (capability connect.%s is not declared)", name, name))
		}
	}
	switch {
	case a.Has("uri"):
		c.Address, c.AddressFrom = textArg(a, "uri", &c.Notes), "uri"
	case a.Has("address"):
		c.Address, c.AddressFrom = textArg(a, "address", &c.Notes), "address"
	case a.Has("host") || a.Has("port"):
		host, port := "", ""
		if a.Has("host") {
			host = textArg(a, "host", &c.Notes)
		}
		if a.Has("port") {
			port = textArg(a, "port", &c.Notes)
		}
		switch {
		case a.Has("host") && a.Has("port"):
			c.Address, c.AddressFrom = net.JoinHostPort(host, port), "host_port"
		case a.Has("host"):
			c.Address, c.AddressFrom = host, "host"
		default:
			c.Address, c.AddressFrom = ":"+port, "port"
		}
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
			return nil, driverError("param_error", "DriverArgError", fmt.Sprintf(
				"%s=%s: the SDK's config field is a Go string, a JSON %s cannot be passed (Go's type check rejects it)",
				f.name, strings.TrimSpace(string(a[f.name])), jsonKind(a[f.name])))
		}
		*f.dst = &s
	}
	if a.Has("secure") {
		b, ok := a.Bool("secure")
		if !ok {
			return nil, driverError("param_error", "DriverArgError", fmt.Sprintf(
				"secure=%s: the SDK's EnableTLSAuth is a Go bool", strings.TrimSpace(string(a["secure"]))))
		}
		c.Secure = &b
	}
	if a.Has("timeout") {
		t, err := TimeoutArg(a)
		if err != nil {
			return nil, err
		}
		c.Timeout = &t
	}
	var terr *ErrorInfo
	if c.TLS, terr = c.TLSConfig(); terr != nil {
		return nil, terr
	}
	return c, nil
}

// TimeoutArg is the timeout argument (seconds, a number or a numeric string).
func TimeoutArg(a Args) (time.Duration, *ErrorInfo) {
	f, ok := a.Float("timeout")
	if !ok {
		s, isString := a.String("timeout")
		var err error
		if isString {
			f, err = strconv.ParseFloat(strings.TrimSpace(s), 64)
		}
		if !isString || err != nil {
			return 0, driverError("param_error", "DriverArgError", fmt.Sprintf(
				"timeout=%s is not a number of seconds (the driver turns it into a context deadline)",
				strings.TrimSpace(string(a["timeout"]))))
		}
	}
	if f > 1e6 {
		f = 1e6
	}
	return time.Duration(f * float64(time.Second)), nil
}

func textArg(a Args, name string, notes *[]string) string {
	text, wasString := a.Text(name)
	if _, isInt := a.Int(name); !wasString && !(name == "port" && isInt) {
		*notes = append(*notes, fmt.Sprintf("%s %s (JSON %s) written as text into the address string", name, text, jsonKind(a[name])))
	}
	return text
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
