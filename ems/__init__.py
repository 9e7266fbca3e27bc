"""Execution management: choose a venue for each order and send it there."""
