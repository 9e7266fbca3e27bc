"""Every JetStream stream and subject of the services deployment, named once.

- ``fixgw.cmd.<part>`` (stream FIXGW_CMD), edge → core: what one received client message made
  (``transport.envelope.CommandBatch``). Nats-Msg-Id ``<session>:<MsgSeqNum>:<first SendingTime>``; applied
  once by the core's applied stream sequence, committed with the book change (``journal_state`` ``core-<part>``).
- ``fixgw.report.<CompID>.<part>`` (stream FIXGW_REPORTS), core → edge: a commit's reports for one client, each
  with the id of its JSON row in ``messages`` (the outbox). Nats-Msg-Id ``rpt:<part>:<first id>-<last id>``; the
  edge drops a report whose id it has delivered, and sends a redelivered one with PossResend (97=Y). Their fast
  copy: ``transport.fastpath``.

Both streams keep their messages on file for a day (``limits`` retention): JetStream is a transport and a replay
buffer, not the record, so a consumer's position of record is kept by whoever applies (the core's in PostgreSQL,
the edge's as its consumer's ack floor) and a consumer is re-created from it at every start.
"""

from __future__ import annotations

import re
from typing import Final

import msgspec

DUPLICATE_WINDOW_S: Final = 600.0
"""JetStream drops a publish whose Nats-Msg-Id it saw within this window (10 min): a resend after a restart."""
MAX_AGE_S: Final = 86_400.0
PARTITION: Final = "0"
"""The first core partition, the only one unless ``[deployment] partitions`` says more (``app.services.partitions``)."""
_TOKEN = re.compile(r"[^A-Za-z0-9_-]")


class StreamSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A JetStream stream: its name and the subjects it keeps."""

    name: str
    subjects: tuple[str, ...]


CMD: Final = StreamSpec(name="FIXGW_CMD", subjects=("fixgw.cmd.>",))
REPORTS: Final = StreamSpec(name="FIXGW_REPORTS", subjects=("fixgw.report.>",))
STREAMS: Final = (CMD, REPORTS)


def command_subject(partition: str = PARTITION) -> str:
    """Where the edge sends a client's commands for the core of ``partition``."""
    return f"fixgw.cmd.{partition}"


def report_subject(comp_id: str, partition: str = PARTITION) -> str:
    """Where the core of ``partition`` sends the reports for the client ``comp_id`` (a subject token: ``.``, ``*``,
    ``>`` replaced). The partition is the last token: the edge keeps, per partition, the last report row it sent."""
    return f"fixgw.report.{_TOKEN.sub('_', comp_id) or '_'}.{partition}"


def reports_of(comp_id: str) -> str:
    """Every partition's reports for the client ``comp_id`` (what its edge consumes)."""
    return report_subject(comp_id, "*")


def edge_consumer(name: str) -> str:
    """The durable report consumer of the edge ``name`` (each edge consumes its own sessions' reports)."""
    return EDGE_CONSUMER if name == EDGE_CONSUMER else f"{EDGE_CONSUMER}-{_TOKEN.sub('_', name)}"


def core_consumer(partition: str = PARTITION) -> str:
    """The durable consumer of the core of ``partition`` (and its offset's name in ``journal_state``)."""
    return f"core-{partition}"


EDGE_CONSUMER: Final = "edge"
