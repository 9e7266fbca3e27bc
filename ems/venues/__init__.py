"""Venue adapters: how an order reaches a venue."""
