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
        if not self._states:  # the usual case, on the order path
            return TradingState.ACTIVE, None
        found = [c for c in (self._states.get(("global", "")), self._states.get(("account", account))) if c]
        if not found:
            return TradingState.ACTIVE, None
        strictest = max(found, key=lambda c: list(TradingState).index(TradingState(c.value)))
        return TradingState(strictest.value), strictest

    def kill_switch(self, account: str, client: str) -> Control | None:
        """The kill switch that blocks ``account`` trading from ``client``'s session, if any is on."""
        if not self._kills:
            return None
        for key in (("global", ""), ("account", account), ("session", client)):
            control = self._kills.get(key)
            if control is not None:
                return control
        return None

    def all(self) -> list[Control]:
        """Every control in force."""
        return [*self._states.values(), *self._kills.values()]
