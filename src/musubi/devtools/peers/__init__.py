"""Local protocol peers: small real HTTP servers speaking a remote provider's documented API.

Used by tests and benchmarks where the real service (LINE, an SMS gateway, a browser's push
service) cannot run here. Each peer checks requests the way the provider documents and records
what it accepted.
"""
