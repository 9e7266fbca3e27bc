"""The errors every package may raise: the root of the gateway's own errors, and configuration errors."""


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""


class ConfigError(GatewayError):
    """A configuration that cannot work (or a resource it names cannot be reached): refuse with one line."""
