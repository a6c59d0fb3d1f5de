"""Certificates for the TLS server profiles, made fresh for each server of a run.

`ensure_certificates(folder)` writes, with the `openssl` command-line tool
(no Python dependency):

    ca.pem, ca.key              a test CA (valid 2 days)
    server.pem, server.key      the server's certificate, signed by that CA, for
                                127.0.0.1 and localhost (subjectAltName IP and DNS)
    client.pem, client.key      a client certificate (extendedKeyUsage clientAuth),
                                signed by the same CA, for two-way TLS
    wrong-ca.pem, wrong-ca.key  an unrelated CA: a client trusting only it must
                                refuse the server's certificate

Keys are RSA 2048 in PKCS#8 PEM ("BEGIN PRIVATE KEY"), which every SDK's TLS
stack reads (Netty, used by the Java SDK, does not read PKCS#1 keys). Files
already in the folder are kept, so a server restarted on the same folder keeps
its certificates; `force=True` makes new ones.
"""

import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import ServerStartError, ServerUnavailable

DAYS = 2
SERVER_NAMES = ("localhost",)
SERVER_IPS = ("127.0.0.1",)
CLIENT_NAME = "milvus-conformance-client"

_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = milvus-conformance
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
subjectAltName = {san}
[v3_client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""


@dataclass(frozen=True)
class Certificates:
    """The paths of one set (host paths: what drivers read)."""

    folder: Path

    @property
    def ca_cert(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.folder / "ca.key"

    @property
    def server_cert(self) -> Path:
        return self.folder / "server.pem"

    @property
    def server_key(self) -> Path:
        return self.folder / "server.key"

    @property
    def client_cert(self) -> Path:
        return self.folder / "client.pem"

    @property
    def client_key(self) -> Path:
        return self.folder / "client.key"

    @property
    def wrong_ca_cert(self) -> Path:
        return self.folder / "wrong-ca.pem"

    @property
    def wrong_ca_key(self) -> Path:
        return self.folder / "wrong-ca.key"

    def files(self) -> "list[Path]":
        return [self.ca_cert, self.ca_key, self.server_cert, self.server_key, self.client_cert,
                self.client_key, self.wrong_ca_cert, self.wrong_ca_key]

    def complete(self) -> bool:
        return all(p.is_file() and p.stat().st_size > 0 for p in self.files())

    def endpoint_fields(self) -> dict:
        """What an Endpoint publishes as ${server.ca_cert} and the like."""
        return {"ca_cert": str(self.ca_cert), "client_cert": str(self.client_cert),
                "client_key": str(self.client_key), "wrong_ca_cert": str(self.wrong_ca_cert)}


def openssl() -> str:
    """The openssl executable, or ServerUnavailable (the TLS scenarios are then skipped with this reason)."""
    found = shutil.which("openssl")
    if not found:
        raise ServerUnavailable("the TLS profiles need the `openssl` command-line tool to make their "
                                "certificates, and it is not on PATH (apt-get install openssl)")
    return found


def _run(args: list, cwd: Path) -> None:
    proc = subprocess.run([openssl(), *args], cwd=str(cwd), capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise ServerStartError(f"could not make the TLS test certificates in {cwd}: `openssl {' '.join(args[:2])}` "
                               f"failed: {(proc.stderr.strip().splitlines() or ['no output'])[-1]}",
                               log_tail=proc.stderr[-3000:])


def _self_signed_ca(folder: Path, cert: str, key: str, name: str) -> None:
    _run(["req", "-config", "openssl.cnf", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
          "-days", str(DAYS), "-subj", f"/O=milvus-conformance/CN={name}", "-extensions", "v3_ca",
          "-keyout", key, "-out", cert], folder)


def _signed(folder: Path, name: str, cn: str, extensions: str) -> None:
    _run(["req", "-config", "openssl.cnf", "-new", "-newkey", "rsa:2048", "-nodes", "-sha256",
          "-subj", f"/O=milvus-conformance/CN={cn}", "-keyout", f"{name}.key", "-out", f"{name}.csr"], folder)
    _run(["x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
          "-set_serial", str(int.from_bytes(secrets.token_bytes(8), "big")), "-days", str(DAYS), "-sha256",
          "-extfile", "openssl.cnf", "-extensions", extensions, "-out", f"{name}.pem"], folder)
    (folder / f"{name}.csr").unlink(missing_ok=True)


def ensure_certificates(folder: Path, force: bool = False) -> Certificates:
    """A CA, a server certificate for 127.0.0.1/localhost, a client certificate and an unrelated
    CA in `folder` (made now unless a complete set is there already)."""
    folder = Path(folder)
    certs = Certificates(folder)
    if certs.complete() and not force:
        return certs
    folder.mkdir(parents=True, exist_ok=True)
    san = ", ".join([f"IP:{ip}" for ip in SERVER_IPS] + [f"DNS:{name}" for name in SERVER_NAMES])
    (folder / "openssl.cnf").write_text(_CONFIG.format(san=san))
    run_id = secrets.token_hex(4)
    _self_signed_ca(folder, "ca.pem", "ca.key", f"milvus-conformance test CA {run_id}")
    _signed(folder, "server", SERVER_NAMES[0], "v3_server")
    _signed(folder, "client", CLIENT_NAME, "v3_client")
    _self_signed_ca(folder, "wrong-ca.pem", "wrong-ca.key", f"milvus-conformance unrelated CA {run_id}")
    for path in certs.files():
        # Readable by a containerized server running as another user; these are throwaway test keys.
        os.chmod(path, 0o644)
    return certs
