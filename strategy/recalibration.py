"""How the market maker reacts to refusals (``strategy.denials``): the sides stopped by a limit, the idle spells,
the back-offs. Its theory of operation is the market maker's (``strategy.market_maker``): this is its memory.

- A side refused over a limit is stopped until |inventory| is back under ``resume_ratio x max_inventory`` and below
  where it was refused; refused already under that line, it is probed again after a back-off of its own.
- Any other refusal makes it idle until a back-off has passed, doubling with every refusal in a row; a kill switch
  or a halt it can see (``blocked``) keeps it idle until lifted, looked at every ``POLL_NS``.
- ``max_denials`` refusals in a row, whatever their kind, and it is idle.
- Only an order or request sent after the last idle spell began (its ``epoch``), once accepted, shows that what
  refused before lets orders through again: the count in a row and the back-off start over then.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from domain.enums import Side
from strategy.config import MarketMakerConfig
from strategy.denials import DenialKind

log = logging.getLogger("fixgw.strategy")

POLL_NS = 100_000_000
"""How often an idle maker stopped by a control asks whether it was lifted."""


@dataclass(slots=True)
class Idle:
    """Why it is idle and until when."""

    kind: DenialKind
    text: str
    until_ns: int
    """When it tries again, unless a control it sees is lifted before."""
    saw_control: bool = False
    """The risk controls said it was blocked: their word decides when it resumes."""
    look_ns: int = 0
    """When it next asks the controls (every ``POLL_NS`` while they said it was blocked)."""


@dataclass(slots=True)
class Block:
    """A side stopped by an over-limit refusal."""

    inventory: Decimal
    """The inventory when it was refused."""
    probe_ns: int | None
    """When the side is tried again; None: only the inventory going back under the resume line brings it back."""


class Recalibration:
    """Refusals so far, and what they stop now."""

    def __init__(self, name: str, config: MarketMakerConfig, blocked: Callable[[], str | None]) -> None:
        """``blocked``: why a risk control (kill switch, halt) stops its orders now, or None."""
        self._name = name
        self._max_denials = config.max_denials
        self._blocked = blocked
        self._first_ns = config.backoff_ms * 1_000_000
        self._max_ns = config.max_backoff_ms * 1_000_000
        self._backoff_ns = self._first_ns
        self._probe_backoff_ns = {Side.BUY: self._first_ns, Side.SELL: self._first_ns}
        self._resume_at = config.resume_ratio * config.max_inventory
        self.blocks: dict[Side, Block] = {}
        self.idle: Idle | None = None
        self.denials: Counter[DenialKind] = Counter()
        self.in_a_row = 0
        self.last_denial: str | None = None
        self.epoch = 0
        """Idle spells so far."""

    def stopped(self, side: Side) -> bool:
        """The side is stopped by a limit."""
        return side in self.blocks

    def accepted(self, side: Side, epoch: int) -> None:
        """An order or a replace of ``side``, sent during idle spell ``epoch``, went through."""
        self._probe_backoff_ns[side] = self._first_ns
        if epoch == self.epoch:
            self.in_a_row = 0
            self._backoff_ns = self._first_ns

    def refused(self, side: Side, kind: DenialKind, text: str, now: int, inventory: Decimal) -> None:
        """An order or request of ``side`` was refused: stop the side, or go idle."""
        self.denials[kind] += 1
        self.in_a_row += 1
        self.last_denial = f"{kind.value}: {text}"
        log.warning("%s: %s order refused (%s): %s", self._name, side.name, kind.value, text)
        if kind is DenialKind.LIMIT:
            wait = self._probe_backoff_ns[side]
            self._probe_backoff_ns[side] = min(wait * 2, self._max_ns)
            self.blocks[side] = Block(inventory, None if abs(inventory) >= self._resume_at else now + wait)
        else:
            self._go_idle(kind, text, now, saw_control=kind is DenialKind.KILL and self._blocked() is not None)
        if self.in_a_row >= self._max_denials:
            self._go_idle(kind, f"{self.in_a_row} refusals in a row; last: {text}", now)

    def control(self, now: int) -> bool:
        """A control it can see stops its orders now: idle, with no refused order (True)."""
        why = self._blocked()
        if why is not None:
            self._go_idle(DenialKind.KILL, why, now, saw_control=True)
        return why is not None

    def filled(self, inventory: Decimal) -> None:
        """The inventory moved: a side stopped by a limit resumes once it is back under the resume line."""
        q = abs(inventory)
        for side, block in list(self.blocks.items()):
            if q < self._resume_at and q < abs(block.inventory):
                log.info(
                    "%s: inventory %s back under %s: %s side resumes", self._name, inventory, self._resume_at, side.name
                )
                del self.blocks[side]

    def on_timer(self, now: int) -> None:
        """Resume when the wait is over or the control lifted; let the probed sides try again."""
        idle = self.idle
        if idle is not None:
            why = self._blocked()
            idle.look_ns = now + POLL_NS
            if why is not None:
                idle.saw_control = True
            elif idle.saw_control or now >= idle.until_ns:
                log.info("%s: resuming after %s", self._name, idle.kind.value)
                self.idle = None
        for side, block in list(self.blocks.items()):
            if block.probe_ns is not None and now >= block.probe_ns:
                del self.blocks[side]

    def next_timer_ns(self) -> int | None:
        """The end of the idle wait (or the next look at the controls), and the probes of stopped sides."""
        times = [b.probe_ns for b in self.blocks.values() if b.probe_ns is not None]
        if self.idle is not None:  # stopped by a control it can see: look again shortly; else the back-off decides
            times.append(self.idle.look_ns if self.idle.saw_control else self.idle.until_ns)
        return min(times) if times else None

    def status(self) -> dict[str, object]:
        """Refusals by kind, the last one, the stopped sides, the idle spell."""
        return {
            "denials": {k.value: n for k, n in self.denials.items()},
            "last_denial": self.last_denial,
            "stopped_sides": {s.name.lower(): str(b.inventory) for s, b in self.blocks.items()},
            "idle": None if self.idle is None else {"kind": self.idle.kind.value, "why": self.idle.text},
        }

    def _go_idle(self, kind: DenialKind, text: str, now: int, *, saw_control: bool = False) -> None:
        if self.idle is not None:
            return
        log.warning("%s: idle (%s): %s", self._name, kind.value, text)
        self.epoch += 1
        wait = self._backoff_ns
        self._backoff_ns = min(wait * 2, self._max_ns)
        self.idle = Idle(kind, text, now + wait, saw_control, now + POLL_NS)
