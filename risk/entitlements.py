"""Account entitlements: which accounts each client may trade, from fixgw.toml's ``[clients.<CompID>] accounts``.

One function decides, for new orders and replaces alike, so that the gateway and any other caller agree.
"""

from __future__ import annotations

from collections.abc import Mapping

from domain.enums import OrdRejReason
from domain.ids import client_comp_id
from domain.verdicts import Denial
from risk.checks import OrderTerms

Entitlements = Mapping[str, frozenset[str]]
"""Client CompID (the session's TargetCompID on our acceptor) -> the accounts it may trade."""


def check_account_entitled(order: OrderTerms, entitlements: Entitlements) -> Denial | None:
    """The order's Account (1) must be one its client session may trade (OrdRejReason 15 Unknown account)."""
    return account_entitlement(client_comp_id(order.session), order.account, entitlements)


def account_entitlement(client: str, account: str, entitlements: Entitlements) -> Denial | None:
    """Whether ``client`` may trade ``account``: None, or the denial of its orders (the same every time)."""
    allowed = entitlements.get(client)
    if allowed is None:
        return Denial(
            OrdRejReason.UNKNOWN_ACCOUNT, f"client {client} has no tradable accounts configured", check="entitlement"
        )
    if account not in allowed:
        shown = f"account {account!r}" if account else "no account (1)"
        return Denial(
            OrdRejReason.UNKNOWN_ACCOUNT,
            f"{shown} is not entitled for client {client}; it may trade {', '.join(sorted(allowed)) or 'none'}",
            check="entitlement",
        )
    return None
