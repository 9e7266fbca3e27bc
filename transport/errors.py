"""The transport's one error the services act on."""


class TransportUnavailable(Exception):
    """JetStream did not take a message within the deadline (the server is down or unreachable)."""
