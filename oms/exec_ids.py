"""ExecID (17) of every report the gateway sends: unique forever by construction.

Theory of operation (issue 13). FIX wants an ExecID unique per report, and clients drop a report whose ExecID they
have seen (the gateway's own PossResend re-delivery relies on it). An ExecID is ``<about>-<incarnation>-<n>``:

- ``incarnation`` numbers the gateway's starts on this book of record. ``begin_incarnation`` (oms.store.repository)
  increments it in ``journal_state`` and commits before any session starts, so no two starts share one, whatever
  crashed when: a crash can only lose numbers, never hand one out twice.
- ``n`` counts every report of this incarnation, in memory: it never goes back while the process lives.

So two reports share an ExecID only if they share both numbers, which a single process never gives. Nothing has
to be kept in step with an order's row (the counter that used to be was written a step behind its report).
``fixgw db`` operations only migrate the schema forward; ``journal_state`` and its incarnation stay.
``<about>`` is the OrderID, or what a refusal of an unbooked message is (``NONE``, ``STATUS``): for people.
"""

from __future__ import annotations

from domain.ids import ExecId


class ExecIds:
    """Hand out the ExecIDs of one incarnation of the gateway."""

    __slots__ = ("_n", "_suffix", "incarnation")

    def __init__(self, incarnation: int) -> None:
        if incarnation < 1:
            raise ValueError(f"incarnation must be positive, got {incarnation}")
        self.incarnation = incarnation
        self._suffix = f"-{incarnation}-"
        self._n = 0

    def next(self, about: str) -> ExecId:
        """The next ExecID, for a report about ``about`` (an OrderID, or a word for unbooked refusals)."""
        self._n += 1
        return ExecId(f"{about}{self._suffix}{self._n}")
