"""What an operator's request about a strategy can run into."""

from domain.errors import GatewayError


class UnknownStrategy(GatewayError):
    """No ``[strategies.<NAME>]`` of that name is configured."""


class StrategyStateError(GatewayError):
    """The strategy is not in a state the request applies to (start a running one, stop a stopped one)."""
