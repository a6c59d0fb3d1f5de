"""Renders a transcript as a standalone Go program (drivers/PROTOCOL.md, section 8), for
both Go drivers:

    python repro.py sdk-go|client-v2 <request.json>

The program makes the calls the driver makes (sdk-go/main.go, client-v2/main.go and
../common: connect, server_version, list_collections, check_health, disconnect,
disconnect_during_call, open_many, close_many) with the
transcript's values as literals; each alias is a variable holding a client, as the
driver's map does. It builds with the go.mod/go.sum of the driver's build
(<build_dir>/src), offline, from the module and build caches that build filled."""

import json
import os
import re
import sys
import textwrap

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from reprokit import harness_instruction, header, main  # noqa: E402

FLAVOURS = {
    "sdk-go": {
        "import": '"github.com/milvus-io/milvus-sdk-go/v2/client"',
        "client_type": "client.Client",
        "connect": "client.NewGrpcClient(ctx, {address})",  # only an address: the doc's call
        "connect_config": "client.NewClient(ctx, client.Config{{\n{fields}{indent}}})",
        "default_opts": "client.DefaultGrpcOpts",
        "version": "{var}.GetVersion(ctx)",
        "list": ["\t\tcollections, err := {var}.ListCollections(ctx)",
                 "\t\tnames := []string{{}}",
                 "\t\tfor _, c := range collections {{",
                 "\t\t\tnames = append(names, c.Name)",
                 "\t\t}}"],
        # v2.3.2+ (hello declares check_health only there); the driver reaches it by reflection
        "health": "{var}.CheckHealth(ctx)",
        "close": "{var}.Close()",
    },
    "client-v2": {
        "import": '"github.com/milvus-io/milvus/client/v2/milvusclient"',
        "client_type": "*milvusclient.Client",
        "connect": None,  # always a ClientConfig
        "connect_config": "milvusclient.New(ctx, &milvusclient.ClientConfig{{\n{fields}{indent}}})",
        "default_opts": "milvusclient.DefaultGrpcOpts",
        "version": "{var}.GetServerVersion(ctx, milvusclient.NewGetServerVersionOption())",
        "list": ["\t\tlisted, err := {var}.ListCollections(ctx, milvusclient.NewListCollectionOption())",
                 "\t\tnames := append([]string{{}}, listed...)"],
        "health": None,  # milvusclient has no CheckHealth
        "close": "{var}.Close(context.Background())",
    },
}

# connect argument -> the Config / ClientConfig field it sets (as main.go sets them)
CONFIG_FIELDS = {"user": "Username", "password": "Password", "token": "APIKey", "db_name": "DBName"}
TLS_ARGS = ("ca_cert", "client_cert", "client_key", "server_name")
MAX_DURATION = 2 ** 63  # time.Duration is an int64 of nanoseconds


def go_string(value: str) -> str:
    """A Go interpreted string literal (JSON's escapes are Go's; non-ASCII stays as UTF-8,
    since Go has no \\u escape for a lone surrogate half)."""
    return json.dumps(value, ensure_ascii=False)


class DriverAnswered(Exception):
    """A step the driver answered itself (answered_by: driver): no SDK call to write."""


# -- the driver's argument rules (common/args.go), which decide what reaches the SDK --

def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def alias_of(args: dict) -> str:
    alias = "default" if args.get("alias") is None else args["alias"]  # JSON null is absent, as in args.go
    if not isinstance(alias, str):
        raise DriverAnswered(f"alias {json.dumps(alias)} is not a string: it cannot name a client variable")
    return alias


def address_of(args: dict) -> str:
    """common/args.go address(): a string uri or address, or net.JoinHostPort(host, port)."""
    given = [k for k in ("uri", "address", "host", "port") if args.get(k) is not None]
    for name in ("uri", "address"):
        if name in given:
            if len(given) > 1 or not isinstance(args[name], str):
                raise DriverAnswered(f"{name}={json.dumps(args[name])} (with {given}): not one address string")
            return args[name]
    host, port = args.get("host"), args.get("port")
    if not isinstance(host, str) or not is_int(port):
        raise DriverAnswered(f"host={json.dumps(host)}, port={json.dumps(port)}: the address is composed "
                             "only from a string host and an integer port")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def duration(args: dict, name: str):
    """A timeout in seconds as the Go expression of its time.Duration (common/args.go Timeout)."""
    if args.get(name) is None:
        return None
    seconds = args[name]
    if not is_number(seconds) or abs(seconds * 1e9) >= MAX_DURATION:
        raise DriverAnswered(f"{name}={json.dumps(seconds)} is not a time.Duration")
    nanos = int(seconds * 1e9)  # time.Duration(seconds * float64(time.Second)), truncated as Go does
    if nanos % 1_000_000_000 == 0:
        return f"{nanos // 1_000_000_000}*time.Second"
    if nanos % 1_000_000 == 0:
        return f"{nanos // 1_000_000}*time.Millisecond"
    return f"time.Duration({nanos})"


def check_connect_args(args: dict) -> None:
    """The values common/args.go ParseConnectArgs refuses (answered by the driver)."""
    for name in ("handler", "pool"):
        if args.get(name) is not None:
            raise DriverAnswered(f"the Go SDKs have no {name} parameter")
    for name in (*CONFIG_FIELDS, *TLS_ARGS):
        if args.get(name) is not None and not isinstance(args[name], str):
            raise DriverAnswered(f"{name}={json.dumps(args[name])} is not a Go string")
    if args.get("secure") is not None and not isinstance(args["secure"], bool):
        raise DriverAnswered(f"secure={json.dumps(args['secure'])} is not a Go bool")
    if (args.get("client_cert") is None) != (args.get("client_key") is None):
        raise DriverAnswered("client_cert and client_key go together (tls.LoadX509KeyPair needs both)")


# -- Go text ----------------------------------------------------------------------------

class Program:
    def __init__(self, flavour: str):
        self.f = FLAVOURS[flavour]
        self.flavour = flavour
        self.variables = {}  # alias -> Go variable name
        self.connected = set()  # aliases a connect step was written for
        self.closed = set()  # ... and disconnected since
        self.many = False
        self.during = False  # the disconnectDuringCall helper is needed

    def var(self, alias: str) -> str:
        if alias not in self.variables:
            name = "client" + "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", alias))
            taken = set(self.variables.values())
            base, n = name, 2
            while name in taken or name in ("client", "clientMany"):
                name, n = f"{base}{n}", n + 1
            self.variables[alias] = name
        return self.variables[alias]

    def connect_call(self, args: dict, indent: str = "\t\t") -> "tuple[list[str], list[str]]":
        """Statements making a client in `c` (and `err`), as sdk-go/main.go or client-v2/main.go connect:
        (the TLS configuration, built once as the driver does; the SDK call)."""
        address = address_of(args)
        check_connect_args(args)
        lines = []
        tls_files = [k for k in TLS_ARGS if args.get(k) is not None]
        only_address = not tls_files and all(args.get(k) is None for k in (*CONFIG_FIELDS, "secure"))
        if only_address and self.f["connect"]:
            return [], [f"{indent}c, err := {self.f['connect'].format(address=go_string(address))}"]
        fields = [("Address", go_string(address))]
        fields += [(field, go_string(args[arg])) for arg, field in CONFIG_FIELDS.items() if args.get(arg) is not None]
        if args.get("secure") is not None:
            fields.append(("EnableTLSAuth", "true" if args["secure"] else "false"))
        if tls_files:
            # The SDKs take no CA or client-certificate file: an application builds a tls.Config
            # and gives it as gRPC transport credentials, after the SDK's default dial options.
            server_name = f"ServerName: {go_string(args['server_name'])}" if "server_name" in tls_files else ""
            lines.append(f"{indent}tlsConfig := &tls.Config{{{server_name}}}")
            if "ca_cert" in tls_files:
                lines += [f"{indent}ca, err := os.ReadFile({go_string(args['ca_cert'])})",
                          f"{indent}if err != nil {{", f"{indent}\treturn nil, err", f"{indent}}}",
                          f"{indent}tlsConfig.RootCAs = x509.NewCertPool()",
                          f"{indent}tlsConfig.RootCAs.AppendCertsFromPEM(ca)"]
            if "client_cert" in tls_files:
                lines += [f"{indent}pair, err := tls.LoadX509KeyPair({go_string(args['client_cert'])}, "
                          f"{go_string(args['client_key'])})",
                          f"{indent}if err != nil {{", f"{indent}\treturn nil, err", f"{indent}}}",
                          f"{indent}tlsConfig.Certificates = []tls.Certificate{{pair}}"]
            lines += [f"{indent}dialOptions := append(append([]grpc.DialOption{{}}, {self.f['default_opts']}...),",
                      f"{indent}\tgrpc.WithTransportCredentials(credentials.NewTLS(tlsConfig)))"]
            fields.append(("DialOptions", "dialOptions"))
        width = max(len(name) for name, _ in fields) + 1
        text = "".join(f"{indent}\t{(name + ':').ljust(width)} {value},\n" for name, value in fields)
        return lines, [f"{indent}c, err := {self.f['connect_config'].format(fields=text, indent=indent)}"]

    @staticmethod
    def context_lines(timeout, indent: str = "\t\t") -> "list[str]":
        if timeout is None:
            return [f"{indent}ctx := context.Background()"]
        return [f"{indent}ctx, cancel := context.WithTimeout(context.Background(), {timeout})",
                f"{indent}defer cancel()"]

    def statement(self, step: dict) -> "list[str]":
        op, args, n = step["op"], step.get("args") or {}, step["step"]
        try:
            body = self.body(op, args)
        except DriverAnswered as why:
            note = (f"Step {n}, {op} {json.dumps(args, ensure_ascii=False)}: answered by the conformance driver "
                    f"itself, without an SDK call: {why}.")
            return [f"\t// {line}" for line in textwrap.wrap(note, 96)] + [
                f"\tfmt.Println(`{{\"step\": {n}, \"answered_by\": \"driver\"}}`)"]
        return [f"\tstep({n}, func() (any, error) {{", *body, "\t})"]

    def body(self, op: str, args: dict) -> "list[str]":
        if op == "connect":
            alias = alias_of(args)
            timeout = duration(args, "timeout")
            setup, call = self.connect_call(args)
            var = self.var(alias)
            lines = self.context_lines(timeout) + setup + call + ["\t\tif err != nil {", "\t\t\treturn nil, err", "\t\t}"]
            if alias in self.connected and alias not in self.closed:
                lines += [f"\t\tif {var} != nil {{ // connecting the alias again replaces its client",
                          f"\t\t\t{self.f['close'].format(var=var)}", "\t\t}"]
            self.connected.add(alias)
            self.closed.discard(alias)
            return lines + [f"\t\t{var} = c", "\t\treturn map[string]any{}, nil"]
        if op in ("disconnect", "server_version", "list_collections", "check_health", "disconnect_during_call"):
            alias = alias_of(args)
            if alias not in self.connected:
                raise DriverAnswered(f"no client was ever made under alias {json.dumps(alias)}")
            var = self.var(alias)
            if op == "disconnect":
                self.closed.add(alias)
                return [f"\t\treturn map[string]any{{}}, {self.f['close'].format(var=var)}"]
            timeout = duration(args, "timeout")
            lines = self.context_lines(timeout)
            if op == "server_version":
                return lines + [f"\t\tversion, err := {self.f['version'].format(var=var)}",
                                '\t\treturn map[string]any{"version": version}, err']
            if op == "list_collections":
                return lines + [line.format(var=var) for line in self.f["list"]] + [
                    '\t\treturn map[string]any{"collections": names}, err']
            if op == "check_health":
                if not self.f["health"]:
                    raise DriverAnswered("this SDK has no CheckHealth call")
                return lines + [f"\t\tstate, err := {self.f['health'].format(var=var)}",
                                "\t\tif err != nil {", "\t\t\treturn nil, err", "\t\t}",
                                '\t\treturn map[string]any{"healthy": state.IsHealthy, "reasons": append([]string{}, state.Reasons...), '
                                '"quota_states": state.QuotaStates}, nil']
            return lines + self.disconnect_during_call(args, var, timeout, alias)
        if op == "open_many":
            return self.open_many(args)
        if op == "close_many":
            self.many = True
            return ["\t\tclosed := len(clientMany)",
                    "\t\tfor _, c := range clientMany {", f"\t\t\t{self.f['close'].format(var='c')}", "\t\t}",
                    "\t\tclientMany = nil",
                    '\t\treturn map[string]any{"closed": closed}, nil']
        raise SystemExit(f"the go reproducer cannot render op {op!r}")

    def disconnect_during_call(self, args: dict, var: str, timeout, alias: str) -> "list[str]":
        """The server_version call on a goroutine, the SDK's Close after after_ms (common/ops.go)."""
        after = args.get("after_ms")
        if after is not None and (not is_number(after) or after < 0):
            raise DriverAnswered(f"after_ms={json.dumps(after)} is not a number of milliseconds >= 0")
        after = duration({"a": (500 if after is None else after) / 1000}, "a")
        # as long as the driver waits for the call: its timeout + 5 s, or 15 s
        patience = "15*time.Second" if timeout is None else duration({"t": args["timeout"] + 5}, "t")
        self.closed.add(alias)
        self.during = True
        return [f"\t\treturn disconnectDuringCall({after}, {patience},",
                "\t\t\tfunc() (string, error) {", f"\t\t\t\treturn {self.f['version'].format(var=var)}", "\t\t\t},",
                f"\t\t\tfunc() error {{ return {self.f['close'].format(var=var)} }}), nil"]

    def open_many(self, args: dict) -> "list[str]":
        """A plain loop (the driver runs `concurrency` goroutines): connect, verify by a round trip."""
        count = args.get("count")
        if not is_int(count) or count < 0:
            raise DriverAnswered(f"count={json.dumps(count)} is not a whole number >= 0")
        timeout = duration(args, "timeout")
        budget = args.get("time_budget_seconds") or 0
        setup, call = self.connect_call(args, "\t\t\t")
        lines = [line[1:] for line in setup] + ["\t\tattempted, opened, verified := 0, 0, 0", "\t\tvar firstError error"]
        loop = f"attempted < {count}"
        if budget:
            lines.append("\t\tstart := time.Now()")
            loop += f" && time.Since(start) < {duration({'b': budget}, 'b')}"
        lines.append(f"\t\tfor ; {loop}; attempted++ {{")
        lines += self.context_lines(timeout, "\t\t\t") if timeout is None else [
            f"\t\t\tctx, cancel := context.WithTimeout(context.Background(), {timeout})"]
        lines += call
        if timeout is not None:
            lines.append("\t\t\tcancel()")
        lines += ["\t\t\tif err == nil {", "\t\t\t\tclientMany = append(clientMany, c)", "\t\t\t\topened++",
                  f"\t\t\t\t_, err = {self.f['version'].format(var='c').replace('(ctx', '(context.Background()')}",
                  "\t\t\t}",
                  "\t\t\tif err == nil {", "\t\t\t\tverified++",
                  "\t\t\t} else if firstError == nil {", "\t\t\t\tfirstError = err", "\t\t\t}", "\t\t}",
                  f'\t\treturn map[string]any{{"requested": {count}, "opened": opened, "verified": verified,',
                  f'\t\t\t"failed": attempted - verified, "not_attempted": {count} - attempted, '
                  '"first_error": errorOf(firstError)}, nil']
        self.many = True
        return lines

    def text(self, request: dict, lines: "list[str]") -> str:
        declared = [(v, self.f["client_type"], f"alias {go_string(a)}") for a, v in self.variables.items()]
        if self.many:
            declared.append(("clientMany", "[]" + self.f["client_type"], "open_many's clients"))
        width = [max((len(d[i]) for d in declared), default=0) for i in (0, 1)]
        declared = [f"\t{v.ljust(width[0])} {t.ljust(width[1])} // {c}" for v, t, c in declared]
        code = (["// One variable per alias: the SDK has no alias registry.", "var ("] + declared + [")", ""]
                if declared else []) + ["func main() {"] + lines + ["}", ""]
        # what the helpers use, and the packages the steps' code names (string literals
        # and comments aside): Go refuses an unused import
        imports = ['"bufio"', '"encoding/json"', '"errors"', '"fmt"', '"os"', '"time"', '"google.golang.org/grpc/status"']
        if self.flavour == "client-v2":
            imports.append('"reflect"')
        used = re.sub(r"//.*", "", re.sub(r'"(?:[^"\\]|\\.)*"|`[^`]*`', '""', "\n".join(code)))
        imports += [path for path in ('"context"', '"crypto/tls"', '"crypto/x509"', '"google.golang.org/grpc"',
                                      '"google.golang.org/grpc/credentials"', self.f["import"])
                    if re.search(r"\b" + path.strip('"').rsplit("/", 1)[-1] + r"\.", used)]
        std = sorted(i for i in imports if "." not in i.split("/")[0])
        other = sorted(i for i in imports if i not in std)
        head = [header(request, "//", "go run .  (in this folder; go.mod pins the SDK version above)"),
                "package main", "", "import ("] + [f"\t{i}" for i in std] + [""] + [f"\t{i}" for i in other] + [")", ""]
        return ("\n".join(head + code) + HELPERS + (DURING_CALL if self.during else "")
                + (MILVUS_CODE if self.flavour == "client-v2" else GRPC_CODE))


HELPERS = '''
var stdin = bufio.NewReader(os.Stdin)

type stepLine struct {
	Step      int        `json:"step"`
	OK        bool       `json:"ok"`
	Result    any        `json:"result,omitempty"`
	Error     *errorLine `json:"error,omitempty"`
	ElapsedMS float64    `json:"elapsed_ms"`
}

type errorLine struct {
	Type    string `json:"type"`
	Code    any    `json:"code"`
	Message string `json:"message"`
}

// step runs one step's SDK calls and prints what they returned, as one JSON line.
func step(n int, call func() (any, error)) {
	line := stepLine{Step: n}
	start := time.Now()
	defer func() {
		if r := recover(); r != nil { // a panic inside the SDK
			line.Error = &errorLine{Type: "GoPanic", Code: nil, Message: fmt.Sprint(r)}
		}
		line.ElapsedMS = float64(time.Since(start).Microseconds()) / 1000
		out, _ := json.Marshal(line)
		fmt.Println(string(out))
	}()
	result, err := call()
	if err != nil {
		line.Error = errorOf(err)
	} else {
		line.OK, line.Result = true, result
	}
}

// awaitHarness: the scenario acts on the server here. Do it, then press Enter.
func awaitHarness(n int, instruction string) {
	out, _ := json.Marshal(map[string]any{"step": n, "await": instruction})
	fmt.Println(string(out))
	stdin.ReadString('\\n')
}

// errorOf is an error as the conformance driver reports it: Go type, code, message.
func errorOf(err error) *errorLine {
	if err == nil {
		return nil
	}
	return &errorLine{Type: fmt.Sprintf("%T", err), Code: code(err), Message: err.Error()}
}
'''

DURING_CALL = '''
// disconnectDuringCall starts call on a goroutine, closes the client after `after`, and
// waits up to `patience` for the call: how the close ended, and how (and when) the call did.
func disconnectDuringCall(after, patience time.Duration, call func() (string, error), closeClient func() error) map[string]any {
	type ended struct {
		version string
		err     error
		at      time.Time
	}
	done := make(chan ended, 1)
	go func() {
		v, err := call()
		done <- ended{v, err, time.Now()}
	}()
	time.Sleep(after)
	disconnect := map[string]any{"ok": true}
	if err := closeClient(); err != nil {
		disconnect = map[string]any{"ok": false, "error": errorOf(err)}
	}
	closed := time.Now()
	result := map[string]any{"disconnect": disconnect, "call": map[string]any{"pending": true}, "call_ended_ms": nil}
	select {
	case r := <-done:
		if r.err != nil {
			result["call"] = map[string]any{"ok": false, "error": errorOf(r.err)}
		} else {
			result["call"] = map[string]any{"ok": true, "result": map[string]any{"version": r.version}}
		}
		result["call_ended_ms"] = float64(r.at.Sub(closed).Microseconds()) / 1000
	case <-time.After(patience):
	}
	return result
}
'''

GRPC_CODE = '''
// code is the gRPC status code along err's wrap chain, else nil.
func code(err error) any {
	var s interface{ GRPCStatus() *status.Status }
	if errors.As(err, &s) && s.GRPCStatus() != nil {
		return int(s.GRPCStatus().Code())
	}
	return nil
}
'''

MILVUS_CODE = '''
// code is the gRPC status code along err's wrap chain, else the code of a Milvus
// error (merr) along it, else nil.
func code(err error) any {
	var s interface{ GRPCStatus() *status.Status }
	if errors.As(err, &s) && s.GRPCStatus() != nil {
		return int(s.GRPCStatus().Code())
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if v := reflect.Indirect(reflect.ValueOf(e)); v.Kind() == reflect.Struct && v.Type().Name() == "milvusError" {
			return v.FieldByName("errCode").Int() // merr keeps the code unexported
		}
	}
	return nil
}
'''


def go_mod(build_dir: str) -> "dict[str, str]":
    """go.mod and go.sum of the driver's build, without the driver's own common module:
    the SDK at exactly the version built, with every requirement it resolved."""
    src = os.path.join(build_dir, "src")
    with open(os.path.join(src, "go.mod"), encoding="utf-8") as f:
        mod = f.read()
    mod = re.sub(r"^module .*$", "module repro", mod, count=1, flags=re.M)
    mod = "".join(line for line in mod.splitlines(keepends=True)
                  if "milvus-conformance/drivers/go/common" not in line)
    with open(os.path.join(src, "go.sum"), encoding="utf-8") as f:
        return {"go.mod": mod, "go.sum": f.read()}


def go_env(build_dir: str) -> "dict[str, str]":
    """Offline, from the caches the build filled (build.json), with the SDK version go.mod pins."""
    env = {"GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOWORK": "off", "GOTOOLCHAIN": "local"}
    try:
        with open(os.path.join(build_dir, "build.json"), encoding="utf-8") as f:
            env.update(json.load(f).get("go_env") or {})
    except (OSError, ValueError):
        pass  # go's defaults: the build used them too
    return env


def render_for(flavour: str):
    def render(request: dict) -> dict:
        program = Program(flavour)
        lines = []
        for step in request["steps"]:
            if "harness" in step:
                lines.append(f"\tawaitHarness({step['step']}, {go_string(harness_instruction(step))})")
            else:
                lines += program.statement(step)
        files = {"main.go": program.text(request, lines), **go_mod(request["build_dir"])}
        return {"language": "go", "files": files, "main": "main.go", "run": ["go", "run", "."],
                "env": go_env(request["build_dir"])}
    return render


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in FLAVOURS:
        sys.stderr.write("usage: repro.py sdk-go|client-v2 <request.json> (drivers/PROTOCOL.md, section 8)\n")
        sys.exit(2)
    main(render_for(sys.argv[1]), sys.argv[2:])
