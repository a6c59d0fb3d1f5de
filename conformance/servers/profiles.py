"""Server profiles a scenario can require, and the endpoint a started server has.

A profile is what a scenario needs from the server, not how it is provided:
the embedded provider can start every profile; a server given by URI is one
profile only, and scenarios needing another are skipped with that reason.
"""

from dataclasses import asdict, dataclass, field
from typing import Optional

DOCUMENTED_GRPC_PORT = 19530  # "19530 is gRPC ... the default port when any SDK connects"
DOCUMENTED_HTTP_PORT = 9091   # "9091 is the RESTful API, used by HTTP clients"

# The account the harness creates on servers with authorization on.
SCENARIO_USER = "conformance"
SCENARIO_PASSWORD = "Conformance-2024"
ROOT_USER = "root"
ROOT_PASSWORD = "Milvus"
# The databases profile: a database besides `default`, and a collection in each, so that a scenario can
# see which database a connection works in (list_collections).
SCENARIO_DATABASE = "conformance_db"
DATABASE_COLLECTION = "conformance_in_db"
DEFAULT_COLLECTION = "conformance_in_default"


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    auth: bool = False
    grpc_port: Optional[int] = None  # None: any free port
    http_port: Optional[int] = None  # preferred; another free one if taken
    tls_mode: int = 0  # Milvus common.security.tlsMode on the gRPC port: 0 off, 1 one-way, 2 two-way (mutual)
    databases: bool = False  # the harness creates SCENARIO_DATABASE and a collection in it and in `default`


PROFILES = {
    p.name: p
    for p in (
        Profile("plain", "authorization off, free ports"),
        Profile("auth", "authorization on; the harness creates the scenario user through root", auth=True),
        Profile(
            "default_port",
            f"authorization off, gRPC on the documented default port {DOCUMENTED_GRPC_PORT}",
            grpc_port=DOCUMENTED_GRPC_PORT,
            http_port=DOCUMENTED_HTTP_PORT,
        ),
        Profile("tls", "authorization off, one-way TLS on the gRPC port (a CA made for the run)", tls_mode=1),
        Profile("mtls", "authorization off, two-way TLS on the gRPC port: the client must present a "
                        "certificate of the run's CA", tls_mode=2),
        Profile("databases", f"authorization off; the harness creates database '{SCENARIO_DATABASE}' holding "
                             f"collection '{DATABASE_COLLECTION}', and collection '{DEFAULT_COLLECTION}' in "
                             "'default', through the server's own API", databases=True),
    )
}


@dataclass
class Endpoint:
    """What scenarios may refer to as ${server.*}."""

    profile: str
    provider: str
    host: str
    grpc_port: int
    http_port: int
    version: str = ""
    auth: bool = False
    user: str = ""
    password: str = ""
    root_user: str = ROOT_USER
    root_password: str = ROOT_PASSWORD
    log_path: str = ""
    # TLS profiles (tls.py): the server's tlsMode and the files a client needs, as host paths;
    # empty on a server without TLS.
    tls_mode: int = 0
    ca_cert: str = ""        # the CA that signed the server's (and the client's) certificate
    client_cert: str = ""    # a client certificate of that CA (two-way TLS)
    client_key: str = ""
    wrong_ca_cert: str = ""  # an unrelated CA: trusting only it must fail
    # The databases profile (admin.seed_databases); empty elsewhere.
    database: str = ""             # a database besides `default`
    database_collection: str = ""  # a collection in `database` only
    default_collection: str = ""   # a collection in `default` only
    extra: dict = field(default_factory=dict)

    @property
    def uri(self) -> str:
        return f"http://{self.host}:{self.grpc_port}"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.grpc_port}"

    def template_values(self) -> dict:
        values = asdict(self)
        values.pop("extra")
        values.update(uri=self.uri, address=self.address, port=self.grpc_port)
        return values

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Endpoint":
        return cls(**data)
