"""The errors every package may raise: the root of the gateway's own errors, and configuration errors."""


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""


class ConfigError(GatewayError):
    """A configuration that cannot work (or a resource it names cannot be reached): refuse with one line."""


class VenueUnavailable(GatewayError):
    """A venue cannot take a message now (its session is down): the order or request is refused, not queued."""


class UnknownOrder(GatewayError):
    """No order of the book has this id (an operator's request about one)."""


class OrderNotWorking(GatewayError):
    """The order exists but is not working (closed, or a request of ours is in flight): the request cannot apply."""
