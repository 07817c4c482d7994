"""Compose files read client side: .env, interpolation, loading, the typed model, start order.

Pure: no engine calls, no CLI. ``wharf compose`` builds on it.
"""
