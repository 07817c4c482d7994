"""Helpers shared by the integration and compatibility tests (not a test module)."""
