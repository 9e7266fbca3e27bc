"""The edge's routing: which core partition(s) what one received client message made goes to.

Theory of operation. The book is partitioned by account (``app.services.partitions``). A new order and a replace
carry their account: they go to its partition, and the edge remembers the partition of each ClOrdID it routed, so
that a cancel or a status request — which name an order by ClOrdID, not by account — follows its order. What names
no order goes to the partition of the session's default account: a mass cancel (35=q, one answer, so one
partition; the README's limits), a message refused at the edge (its audit record). A cancel-on-disconnect is about
every order of a client, wherever it is: it goes to every partition.

The memory of ClOrdIDs starts, at the edge's start, with the live orders of its sessions in every partition's book
(``learn``): a cancel after an edge restart still finds an order routed before it. An order the edge published
before a restart that its core has not booked yet is not in it (its cancel goes to the session's default account's
partition, which answers "unknown order" unless it is there: the README's limits). Each client session is on one
edge, so the edge that routed an order is the one that sees its cancels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from app.services.partitions import Partitioner
from domain.channels import OmsCommand
from domain.commands import CancelOrder, CancelWorking, QueryOrder, ReplaceOrder, SubmitOrder
from domain.ids import client_comp_id


class CommandRouter:
    """Partition(s) for one received message's commands."""

    def __init__(self, partitioner: Partitioner, default_accounts: dict[str, str]) -> None:
        """``default_accounts``: client CompID -> the account of its orders that name none."""
        self._partition = partitioner
        self._defaults = default_accounts
        self._orders: dict[tuple[str, str], str] = {}
        """(session, ClOrdID) -> partition, for each order request this edge routed."""

    def route(self, commands: Sequence[OmsCommand], session: str | None) -> tuple[str, ...]:
        """The partitions to send ``commands`` (what the message from ``session`` made) to, the first the main
        one."""
        if self._partition.count == 1:
            return ("0",)
        for command in commands:
            if isinstance(command, SubmitOrder):
                return (self._remember(command.session, command.cl_ord_id, self._partition(command.account)),)
            if isinstance(command, ReplaceOrder):
                known = self._orders.get((command.session, command.orig_cl_ord_id))
                part = known or self._partition(command.account)
                return (self._remember(command.session, command.cl_ord_id, part),)
            if isinstance(command, CancelOrder):
                part = self._orders.get((command.session, command.orig_cl_ord_id)) or self._default(command.session)
                return (self._remember(command.session, command.cl_ord_id, part),)
            if isinstance(command, QueryOrder):
                return (self._orders.get((command.session, command.cl_ord_id)) or self._default(command.session),)
            if isinstance(command, CancelWorking):
                return self._partition.names
            session = getattr(command, "session", None) or session
        return (self._default(session),)

    def learn(self, routed: Mapping[tuple[str, str], str]) -> None:
        """Where orders were routed before this run (``app.services.resume.routed_orders``: the books' live orders)."""
        self._orders.update(routed)

    def _remember(self, session: str, cl_ord_id: str, partition: str) -> str:
        self._orders[session, cl_ord_id] = partition
        return partition

    def _default(self, session: str | None) -> str:
        account = self._defaults.get(client_comp_id(session)) if session else None
        return self._partition(account) if account is not None else "0"
