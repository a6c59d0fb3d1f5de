"""run_example's arguments -> the program that runs: the doc's connect example
(then the same tab's disconnect example), with only the target substituted,
inside the least skeleton its language needs to run. Shared by the driver and
its reproducer renderer (repro.py), so that a reproducer runs the same text.
Stdlib only."""

import re

from runexample import curl_commands

LANGUAGES = ("python", "node", "go", "java", "cli", "curl", "comment")


class Refused(Exception):
    """The driver will not run this request (answered_by: driver)."""


def is_comment_line(line):
    s = line.strip()
    return s.startswith("#") or s.startswith("//")


def join_program(parts):
    return "\n".join(p.rstrip("\n") for p in parts if p is not None) + "\n"


def quote_escape(value, quote):
    return str(value).replace("\\", "\\\\").replace(quote, "\\" + quote)


def substitute(code, args, counts):
    """The doc's target ("localhost", 19530, 9091) and, when `user` is given, its
    'username' / 'password' literals replaced; counts go into counts {(from, to): n}."""

    def sub(pattern, repl, text, key):
        new, n = re.subn(pattern, repl, text)
        if n:
            counts[key] = counts.get(key, 0) + n
        return new

    if args.get("host") not in (None, ""):
        host = str(args["host"])
        code = sub(r"\blocalhost\b", lambda m: host, code, ("localhost", host))
    if args.get("grpc_port") not in (None, ""):
        port = str(args["grpc_port"])
        code = sub(r"(?<![\w.])19530(?!\w)", lambda m: port, code, ("19530", port))
    if args.get("http_port") not in (None, ""):
        port = str(args["http_port"])
        code = sub(r"(?<![\w.])9091(?!\w)", lambda m: port, code, ("9091", port))
    if args.get("user"):
        for literal, value in (("username", args["user"]), ("password", args.get("password") or "")):
            code = sub(r"""(['"])%s\1""" % literal,
                       lambda m, v=value: m.group(1) + quote_escape(v, m.group(1)) + m.group(1),
                       code, ("'%s'" % literal, "'%s'" % value))
    return code


GO_IMPORTS = [("context.", "context"), ("log.", "log"), ("fmt.", "fmt"), ("time.", "time"),
              ("client.", "github.com/milvus-io/milvus-sdk-go/v2/client"),
              ("entity.", "github.com/milvus-io/milvus-sdk-go/v2/entity")]
JAVA_IMPORTS = [("MilvusServiceClient", "io.milvus.client.MilvusServiceClient"),
                ("ConnectParam", "io.milvus.param.ConnectParam"),
                ("MilvusClientV2", "io.milvus.v2.client.MilvusClientV2"),
                ("ConnectConfig", "io.milvus.v2.client.ConnectConfig"),
                ("TimeUnit", "java.util.concurrent.TimeUnit")]


def wrap(lang, body, skeleton):
    """-> (program, number of skeleton lines before the doc's lines)."""
    if lang == "go":
        imports = [path for token, path in GO_IMPORTS if re.search(r"(?<![\w.])" + re.escape(token), body)]
        # A variable the fragment declares but never uses again would not compile
        # ("declared and not used"): the skeleton uses it, and says so.
        unused = []
        for names in re.findall(r"^\s*([\w\s,]+?)\s*:=", body, re.MULTILINE):
            for name in [n.strip() for n in names.split(",")]:
                if name and name != "_" and len(re.findall(r"\b%s\b" % re.escape(name), body)) == 1:
                    unused.append(name)
        head = ["package main", "", "import ("] + ['\t"%s"' % p for p in imports] + [")", "", "func main() {"]
        end = ["\t_ = %s // skeleton: %s is not used again by the doc's fragment" % (n, n) for n in unused] + ["}"]
        skeleton.append("package main, imports %s, func main() { ... }" % ", ".join(imports))
        if unused:
            skeleton.append("`_ = %s` after the fragment (declared and not used otherwise)" % ", ".join(unused))
        return "\n".join(head) + "\n" + body + "\n".join(end) + "\n", len(head)
    if lang == "java":
        imports = [imp for name, imp in JAVA_IMPORTS if re.search(r"\b%s\b" % name, body)]
        head = ["import %s;" % i for i in imports] + ["", "public class Example {",
                                                      "  public static void main(String[] args) throws Exception {"]
        skeleton.append("imports %s; public class Example { public static void main(String[] args) "
                        "throws Exception { ... } }" % ", ".join(imports))
        return "\n".join(head) + "\n" + body + "  }\n}\n", len(head)
    if lang == "node":
        skeleton.append("saved as an ES module (example.mjs: import statements and top-level await allowed)")
    if lang == "cli":
        # What a person types at the milvus_cli prompt, then end of input (Ctrl-D).
        skeleton.append("typed at the interactive milvus_cli prompt (stdin; blank and comment lines left out), "
                        "then end of input")
        lines = [l.strip() for l in body.splitlines() if l.strip() and not is_comment_line(l)]
        return "\n".join(lines) + "\n", 0
    return body, 0


def prepare(args):
    """-> {language, program, substitutions, skeleton, doc_lines: (first, last) line numbers
    of the doc's text in program, nothing_to_run, timeout}; Refused for a request the driver
    will not run. The language is `language`, else the doc tab's name (`tab`)."""
    lang = args.get("language", args.get("tab"))
    if lang not in LANGUAGES:
        raise Refused("language (or tab) must be one of %s, got %r" % (", ".join(LANGUAGES), lang))
    code, disconnect = args.get("code"), args.get("disconnect_code")
    if not isinstance(code, str):
        raise Refused("run_example needs code (a string)")
    if disconnect is not None and not isinstance(disconnect, str):
        raise Refused("disconnect_code must be a string")
    timeout = args.get("timeout")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))):
        raise Refused("timeout must be a number of seconds, got %r" % (timeout,))
    counts = {}
    connect_sub = substitute(code, args, counts)
    disconnect_sub = substitute(disconnect, args, counts) if disconnect is not None else None
    skeleton = []
    body = join_program([connect_sub, disconnect_sub])
    nothing = lang == "comment"
    if lang == "curl":
        try:
            nothing = not curl_commands(body)
        except ValueError as exc:
            raise Refused(str(exc))
        if disconnect_sub is not None and all(is_comment_line(l) for l in disconnect_sub.splitlines() if l.strip()):
            skeleton.append("disconnect example is comment-only: nothing to run for it")
    program, offset = wrap(lang, body, skeleton)
    return {"language": lang, "program": program, "connect_code": connect_sub, "disconnect_code": disconnect_sub,
            "substitutions": [{"from": a, "to": b, "count": n} for (a, b), n in counts.items()],
            "skeleton": skeleton, "doc_lines": (offset + 1, offset + len(body.splitlines())),
            "nothing_to_run": nothing, "timeout": timeout}
