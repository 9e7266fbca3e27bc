"""Strategies: signals that become orders through the same risk path as a client's (issue 17)."""
