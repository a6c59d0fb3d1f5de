"""Scenario files: format (scenarios/FORMAT.md), loading, values and expectations."""
