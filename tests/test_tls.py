"""The TLS server profiles: certificates made per server (conformance/servers/tls.py), the
configuration that turns TLS on, the references scenarios use, and (slow) real servers
whose gRPC port speaks TLS, checked with the standard library's ssl module (no SDK)."""

import os
import shutil
import socket
import ssl
import subprocess
import urllib.request
from pathlib import Path

import pytest
import yaml

from conformance.scenario.requirements import CONNECT_ARG_CAPABILITIES
from conformance.scenario.values import KNOWN, Values
from conformance.servers import distribution, tls
from conformance.servers.embedded import ServerPaths, tls_endpoint_fields, write_config
from conformance.servers.profiles import PROFILES, Endpoint

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command-line tool is missing")


def openssl(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def certs(tmp_path_factory) -> tls.Certificates:
    return tls.ensure_certificates(tmp_path_factory.mktemp("certs"))


# -- certificates ---------------------------------------------------------------
@needs_openssl
def test_every_file_is_made(certs):
    assert certs.complete()
    for path in certs.files():
        assert path.read_text().startswith("-----BEGIN ")


@needs_openssl
def test_server_and_client_certificates_chain_to_the_ca(certs):
    proc = openssl("verify", "-CAfile", str(certs.ca_cert), str(certs.server_cert), str(certs.client_cert))
    assert proc.returncode == 0, proc.stdout + proc.stderr


@needs_openssl
def test_server_certificate_is_valid_for_the_loopback_ip_and_localhost(certs):
    for check in (["-verify_ip", "127.0.0.1"], ["-verify_hostname", "localhost"]):
        proc = openssl("verify", "-CAfile", str(certs.ca_cert), "-purpose", "sslserver", *check, str(certs.server_cert))
        assert proc.returncode == 0, (check, proc.stdout + proc.stderr)
    text = openssl("x509", "-in", str(certs.server_cert), "-noout", "-text").stdout
    assert "IP Address:127.0.0.1" in text and "DNS:localhost" in text
    assert "TLS Web Server Authentication" in text
    wrong_host = openssl("verify", "-CAfile", str(certs.ca_cert), "-verify_hostname", "example.com",
                         str(certs.server_cert))
    assert wrong_host.returncode != 0


@needs_openssl
def test_client_certificate_is_for_client_authentication(certs):
    proc = openssl("verify", "-CAfile", str(certs.ca_cert), "-purpose", "sslclient", str(certs.client_cert))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "TLS Web Client Authentication" in openssl("x509", "-in", str(certs.client_cert), "-noout", "-text").stdout


@needs_openssl
def test_the_wrong_ca_does_not_vouch_for_the_server(certs):
    proc = openssl("verify", "-CAfile", str(certs.wrong_ca_cert), str(certs.server_cert))
    assert proc.returncode != 0
    # and Python's own TLS stack agrees: the CA loads, the chain does not verify against it
    context = ssl.create_default_context(cafile=str(certs.wrong_ca_cert))
    assert context.cert_store_stats()["x509_ca"] == 1


@needs_openssl
def test_keys_are_pkcs8_and_match_their_certificates(certs):
    for cert, key in ((certs.server_cert, certs.server_key), (certs.client_cert, certs.client_key),
                      (certs.ca_cert, certs.ca_key)):
        assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----")  # PKCS#8: Netty (Java) reads it
        ssl.create_default_context().load_cert_chain(str(cert), str(key))  # raises on a mismatch


@needs_openssl
def test_a_complete_set_is_kept_and_force_makes_a_new_one(tmp_path):
    first = tls.ensure_certificates(tmp_path)
    ca = first.ca_cert.read_bytes()
    assert tls.ensure_certificates(tmp_path).ca_cert.read_bytes() == ca
    assert tls.ensure_certificates(tmp_path, force=True).ca_cert.read_bytes() != ca


def test_without_openssl_the_profile_is_unavailable(monkeypatch, tmp_path):
    from conformance.errors import ServerUnavailable

    monkeypatch.setattr(tls.shutil, "which", lambda name: None)
    with pytest.raises(ServerUnavailable, match="openssl"):
        tls.ensure_certificates(tmp_path / "certs")


# -- profiles, configuration, references ------------------------------------------
def test_tls_profiles():
    assert PROFILES["tls"].tls_mode == 1 and PROFILES["mtls"].tls_mode == 2
    assert PROFILES["plain"].tls_mode == 0 and not PROFILES["tls"].auth


TEMPLATE = """\
etcd:
  endpoints: localhost:2379
proxy:
  port: {{ proxy_port }}
tls:
  serverPemPath: {{ server_pem_path: server.pem }}
  serverKeyPath: {{ server_key_path: server.key }}
  caPemPath:  {{ ca_pem_path: ca.pem }}
common:
  security:
    authorizationEnabled: {{ authorization_enabled: false }}
    tlsMode: {{ tls_mode(int): 0 }}
"""


def _render(tmp_path: Path, tls_mode: int, seen_as: ServerPaths) -> dict:
    (tmp_path / "dist").mkdir(exist_ok=True)
    (tmp_path / "dist" / "config.yaml.template").write_text(TEMPLATE)
    (tmp_path / "dist" / "glog.conf").write_text("")
    dist = distribution.Distribution("0", tmp_path / "dist", tmp_path / "dist" / "config.yaml.template",
                                     tmp_path / "dist" / "glog.conf")
    ports = {key: 20000 + i for i, key in enumerate(
        ("proxy_port", "proxy_internal_port", "root_coord_port", "query_coord_port", "query_node_port",
         "index_coord_port", "index_node_port", "data_coord_port", "data_node_port", "etcd_port",
         "etcd_peer_port", "http_port"))}
    milvus_yaml = write_config(dist, ports, False, tmp_path / "configs", seen_as, tls_mode=tls_mode)
    return yaml.safe_load(milvus_yaml.read_text())


def test_plain_config_keeps_tls_off(tmp_path):
    config = _render(tmp_path, 0, ServerPaths.under(tmp_path))
    assert config["common"]["security"]["tlsMode"] == 0
    assert not (tmp_path / "configs" / "tls").exists()


@needs_openssl
@pytest.mark.parametrize("mode", [1, 2])
def test_tls_config_names_the_certificates_as_the_server_sees_them(tmp_path, mode):
    config = _render(tmp_path, mode, ServerPaths("/milvus/configs", "/milvus/logs", "/var/lib/milvus"))
    assert config["common"]["security"]["tlsMode"] == mode
    assert config["tls"] == {"serverPemPath": "/milvus/configs/tls/server.pem",
                             "serverKeyPath": "/milvus/configs/tls/server.key",
                             "caPemPath": "/milvus/configs/tls/ca.pem"}
    assert tls.Certificates(tmp_path / "configs" / "tls").complete()  # on the host, in the mounted folder


def test_a_template_without_tls_settings_makes_the_profile_unavailable(tmp_path, monkeypatch):
    from conformance.errors import ServerUnavailable

    monkeypatch.setattr(tls, "ensure_certificates", lambda folder: tls.Certificates(folder))
    old = TEMPLATE.split("tls:")[0] + "common:\n  security:\n    authorizationEnabled: false\n"
    monkeypatch.setitem(globals(), "TEMPLATE", old)
    with pytest.raises(ServerUnavailable, match="no TLS settings"):
        _render(tmp_path, 1, ServerPaths.under(tmp_path))


def test_endpoint_publishes_the_client_files_as_references(tmp_path):
    fields = tls_endpoint_fields(PROFILES["mtls"], tmp_path / "configs")
    assert fields["tls_mode"] == 2 and fields["ca_cert"] == str(tmp_path / "configs" / "tls" / "ca.pem")
    assert tls_endpoint_fields(PROFILES["plain"], tmp_path) == {}
    endpoint = Endpoint(profile="mtls", provider="test", host="127.0.0.1", grpc_port=1, http_port=2, **fields)
    assert Endpoint.from_json(endpoint.to_json()) == endpoint
    values = Values(endpoint)
    try:
        for name in ("ca_cert", "client_cert", "client_key", "wrong_ca_cert"):
            assert f"server.{name}" in KNOWN
            assert values.resolve("${server." + name + "}") == fields[name]
    finally:
        values.close()


def test_tls_arguments_need_their_capabilities():
    assert CONNECT_ARG_CAPABILITIES["secure"] == "connect.secure"
    for arg in ("ca_cert", "client_cert", "client_key", "server_name"):
        assert CONNECT_ARG_CAPABILITIES[arg] == "connect.tls_certs"


# -- real servers (slow) -----------------------------------------------------------
def _handshake(endpoint: Endpoint, cafile: str, client: bool = False, server_hostname: str = "127.0.0.1") -> str:
    """A TLS handshake with the gRPC port (ALPN h2), then a read: returns the negotiated protocol."""
    context = ssl.create_default_context(cafile=cafile)
    context.set_alpn_protocols(["h2"])
    if client:
        context.load_cert_chain(endpoint.client_cert, endpoint.client_key)
    with socket.create_connection((endpoint.host, endpoint.grpc_port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=server_hostname) as conn:
            # HTTP/2 preface + an empty SETTINGS frame: a server that refused the client's
            # certificate (TLS 1.3: after the handshake) answers with an alert instead of SETTINGS.
            conn.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
            if not conn.recv(9):
                raise ConnectionError("the server closed the connection")
            return conn.selected_alpn_protocol()


@pytest.fixture(scope="module")
def tls_servers(tmp_path_factory):
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command-line tool is missing")
    from conformance.servers.embedded import EmbeddedServer

    base = tmp_path_factory.mktemp("tls-servers")
    servers, endpoints = [], {}
    try:
        for name in ("tls", "mtls"):
            server = EmbeddedServer(PROFILES[name], base / name, base / f"{name}.log", os.getpid())
            servers.append(server)
            endpoints[name] = server.start()
        yield endpoints
    finally:
        for server in servers:
            server.stop()


@pytest.mark.slow
def test_tls_server_speaks_tls_with_the_run_ca(tls_servers):
    endpoint = tls_servers["tls"]
    assert endpoint.tls_mode == 1 and Path(endpoint.ca_cert).is_file()
    assert _handshake(endpoint, endpoint.ca_cert) == "h2"
    assert _handshake(endpoint, endpoint.ca_cert, server_hostname="localhost") == "h2"
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(endpoint, endpoint.wrong_ca_cert)
    # the readiness probe's port stays plain HTTP
    with urllib.request.urlopen(f"http://{endpoint.host}:{endpoint.http_port}/healthz", timeout=10) as response:
        assert b"OK" in response.read()


@pytest.mark.slow
def test_tls_server_refuses_plaintext(tls_servers):
    endpoint = tls_servers["tls"]
    with socket.create_connection((endpoint.host, endpoint.grpc_port), timeout=10) as conn:
        conn.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        answer = conn.recv(64)
    assert not answer.startswith(b"\x00\x00")  # no HTTP/2 SETTINGS frame: a TLS alert or a close


@pytest.mark.slow
def test_mtls_server_needs_a_client_certificate(tls_servers):
    endpoint = tls_servers["mtls"]
    assert endpoint.tls_mode == 2
    assert _handshake(endpoint, endpoint.ca_cert, client=True) == "h2"
    with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
        _handshake(endpoint, endpoint.ca_cert, client=False)
