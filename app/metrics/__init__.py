"""Prometheus metrics of the gateway and the venue simulator: ``GET /metrics`` (README "Monitoring")."""
