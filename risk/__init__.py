"""Pre-trade risk: pure checks over in-memory limits, run on the order path."""
