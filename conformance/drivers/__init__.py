"""Drivers as the harness sees them: registry and manifests, builds, processes."""
