"""milvus-conformance: the harness that runs language-neutral YAML scenarios
through real Milvus SDKs against a real Milvus server."""

__version__ = "0.1.0"
