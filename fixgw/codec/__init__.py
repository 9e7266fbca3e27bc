"""FIX <-> domain: hand-written per message type so that every error names its tag."""
