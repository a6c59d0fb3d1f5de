# `pytest conformance` collects the YAML scenarios through this plugin.
pytest_plugins = ["conformance.plugin"]
