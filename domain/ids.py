"""Typed identifiers: mypy rejects a ClOrdId passed where an OrderId is expected."""

import functools
from typing import NewType

ClOrdId = NewType("ClOrdId", str)
"""ClOrdID (11): the sender's id of an order or order request."""
OrderId = NewType("OrderId", str)
"""OrderID (37): the id we (or the venue) give an order."""
ExecId = NewType("ExecId", str)
"""ExecID (17): the id of one execution report."""
Account = NewType("Account", str)
"""Account (1)."""
Symbol = NewType("Symbol", str)
"""Symbol (55)."""
SessionKey = NewType("SessionKey", str)
"""A FIX session as text, e.g. ``FIX.4.4:FIXGW->CLIENT1`` (quickfix's ``SessionID.toString()``)."""
VenueId = NewType("VenueId", str)
"""The name routing rules use for a venue, e.g. ``VENUE``."""

RISK_SESSION = SessionKey("risk")
"""The session of the risk engine's own orders (post-trade reducing orders): no client hears of them, and the
book shows them under this session with ClOrdIDs that start ``RISK-``."""

STRATEGY_PREFIX = "STRATEGY:"
"""Sessions of the gateway's own strategies start with this: ``STRATEGY:MM1`` (issue 17)."""


def strategy_session(name: str) -> SessionKey:
    """The internal client session of the strategy ``name``: ``MM1`` -> ``STRATEGY:MM1``."""
    return SessionKey(STRATEGY_PREFIX + name)


@functools.cache
def client_comp_id(session: SessionKey) -> str:
    """The client's CompID in one of our acceptor session keys: ``FIX.4.4:FIXGW->CLIENT1`` -> ``CLIENT1``.

    An internal session (no ``->``: ``risk``, ``STRATEGY:MM1``) is its own client: entitlements, session throttles
    and session kill switches name it whole."""
    if "->" not in session:
        return session
    return session.split("->", 1)[-1].split(":", 1)[0]
