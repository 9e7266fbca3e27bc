"""Operator controls: trading state (global and per account) and kill switches (global, account, session).

Every change is recorded through ``on_change`` (who, when, why) so that it can be audited and restored after a
restart; a kill switch stays on until someone turns it off.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

import msgspec


class TradingState(StrEnum):
    """What an account (or the whole gateway) may do."""

    ACTIVE = "active"
    REDUCE_ONLY = "reduce_only"
    """Only orders that reduce the position (Nautilus's REDUCING)."""
    HALTED = "halted"
    """No new orders or replaces; cancels still go."""


_ACTIVE: tuple[TradingState, None] = (TradingState.ACTIVE, None)
_GLOBAL = ("global", "")
_STRICTNESS = {state.value: rank for rank, state in enumerate(TradingState)}
"""ACTIVE < REDUCE_ONLY < HALTED: the order of the enum."""


class Control(msgspec.Struct, frozen=True, kw_only=True):
    """One control as set by someone: a trading state, or a kill switch (value ``on``)."""

    kind: str
    """``state`` or ``kill``."""
    scope: str
    """``global``, ``account`` or ``session`` (sessions: kill switches only)."""
    key: str
    """The account or client CompID; empty for global."""
    value: str
    who: str
    reason: str
    ts_ns: int


class Controls:
    """The controls in force."""

    def __init__(self, on_change: Callable[[Control], None] | None = None) -> None:
        self._states: dict[tuple[str, str], Control] = {}
        self._kills: dict[tuple[str, str], Control] = {}
        self._on_change = on_change
        self.any_state = False
        """Some trading state other than ACTIVE is in force (the order path looks no further when not)."""
        self.any_kill = False
        """Some kill switch is on."""

    def restore(self, controls: list[Control]) -> None:
        """Load what was in force before a restart (no new audit records)."""
        for control in controls:
            self._apply(control)

    def set(self, control: Control) -> None:
        """Apply a change and record it."""
        self._apply(control)
        if self._on_change is not None:
            self._on_change(control)

    def _apply(self, control: Control) -> None:
        table = self._states if control.kind == "state" else self._kills
        key = (control.scope, control.key)
        if control.value in (TradingState.ACTIVE, "off"):
            table.pop(key, None)
        else:
            table[key] = control
        self.any_state, self.any_kill = bool(self._states), bool(self._kills)

    def state(self, account: str) -> tuple[TradingState, Control | None]:
        """The strictest trading state for ``account`` (global or its own)."""
        states = self._states
        if not states:  # the usual case, on the order path
            return _ACTIVE
        everyone, own = states.get(_GLOBAL), states.get(("account", account))
        if everyone is None and own is None:  # a state is set, for other accounts: the order path again
            return _ACTIVE
        found = [c for c in (everyone, own) if c is not None]
        strictest = max(found, key=lambda c: _STRICTNESS[c.value])
        return TradingState(strictest.value), strictest

    def kill_switch(self, account: str, client: str) -> Control | None:
        """The kill switch that blocks ``account`` trading from ``client``'s session, if any is on."""
        kills = self._kills
        if not kills:
            return None
        return kills.get(_GLOBAL) or kills.get(("account", account)) or kills.get(("session", client))

    def all(self) -> list[Control]:
        """Every control in force."""
        return [*self._states.values(), *self._kills.values()]
