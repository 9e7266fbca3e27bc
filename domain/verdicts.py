"""Verdicts: a refusal an engine gives at once, with the FIX reason and a Text a human can act on."""

import msgspec

from domain.enums import OrdRejReason


class Denial(msgspec.Struct, frozen=True):
    """Why an order or message is refused: OrdRejReason (103) and a Text (58) a human can act on."""

    reason: OrdRejReason
    text: str
    check: str = ""
    """The name of the check that refused it (``risk.checks.CHECKS``): what monitoring counts denials by, since the
    Text carries ids and values."""
