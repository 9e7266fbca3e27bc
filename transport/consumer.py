"""A durable push consumer on a ``NatsLink``'s loop: every message handed on once, in stream order, across restarts.

Theory of operation. ``PushConsumer.run`` re-creates the durable consumer at the stream sequence its caller says
it has applied: the server sends each message as soon as it has stored it (a pull consumer's fetch costs a no-wait
probe and a request first). What arrived while the last batch was being handled is the next batch, handed in
stream order to the caller's handler, on the link's loop (``ConsumerSpec.inline``) or a worker thread; the handler
acks the batch's last message (``Delivery.ack``, which acks all before it) once what it did is durable on its side.
A jump in the consumer sequence (a delivery lost) or a reconnection (a None in the inbox) re-creates the consumer
after the last message handed on, so nothing is skipped; re-creating at start means a restart never waits out an
ack timeout to see a message again, nor sees messages out of order. A stop is a None too: nothing polls.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import msgspec
import nats.errors
import nats.js.errors
from nats.aio.msg import Msg
from nats.js import api

log = logging.getLogger("fixgw.transport")

RETRY_S = 0.2
TRANSIENT = (
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.StaleConnectionError,
    nats.js.errors.NoStreamResponseError,
    nats.js.errors.ServiceUnavailableError,
    asyncio.TimeoutError,
    OSError,
)
"""What nats-py raises while the server is away or restarting: retried."""
_MAX_IN_FLIGHT = 20_000


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    """One message delivered from a stream."""

    data: bytes
    subject: str
    stream_seq: int
    num_delivered: int
    ack: Callable[[], None]
    """Acknowledge it and every message before it (any thread; fire and forget: a lost ack only makes it come
    again, unless a later one covers it)."""


class ConsumerSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A durable consumer of one subject of a stream; ``batch``: the most messages handed on at once."""

    stream: str
    subject: str
    durable: str
    batch: int = 256
    also: tuple[str, ...] = ()
    """More subjects it delivers (an edge's: each of its clients' reports)."""
    inline: bool = False
    """Run the handler on the link's own loop thread (one thread hop fewer; the loop waits for it: only for a
    handler that never waits on the link's loop)."""


class PushConsumer:
    """One consumer's loop of subscriptions (see the module); runs on the link's loop."""

    def __init__(
        self,
        spec: ConsumerSpec,
        handler: Callable[[list[Delivery]], None],
        *,
        link_name: str,
        nc: Any,
        js: Any,
        stopping: threading.Event,
        workers: concurrent.futures.Executor,
        spawn: Callable[[Coroutine[Any, Any, None]], None],
    ) -> None:
        """``nc``, ``js``: the link's connection and JetStream context; ``stopping``: set when it must stop (then a
        None in its inbox wakes it: ``wake``); ``workers``: where a handler not inline runs; ``spawn``: runs a
        coroutine on the loop."""
        self.spec = spec
        self._handler = handler
        self._name = link_name
        self._nc = nc
        self._js = js
        self._stopping = stopping
        self._workers = workers
        self._spawn = spawn
        self._inbox: asyncio.Queue[Msg | None] | None = None
        self._loop_ident = 0

    def wake(self) -> None:
        """On the loop: have it look at ``stopping``, or re-create its consumer (the connection was re-made)."""
        if self._inbox is not None:
            self._inbox.put_nowait(None)

    async def run(self, start_seq: int) -> None:
        """Consume from stream sequence ``start_seq`` until ``stopping``."""
        self._loop_ident = threading.get_ident()
        next_seq = max(start_seq, 1)
        while not self._stopping.is_set():
            # A queue per subscription: what an old one still delivers is dropped with it (the new consumer starts
            # after the last message handed on, and delivers the rest again).
            inbox: asyncio.Queue[Msg | None] = asyncio.Queue()
            self._inbox = inbox
            try:
                subscription = await self._subscribe(next_seq, inbox)
                try:
                    next_seq = await self._deliver(inbox, next_seq)
                finally:
                    with contextlib.suppress(Exception):
                        await subscription.unsubscribe()
            finally:
                self._inbox = None

    async def _deliver(self, inbox: asyncio.Queue[Msg | None], next_seq: int) -> int:
        """Hand what the push consumer delivers to the handler in batches (what arrived while the last one was being
        handled); return the stream sequence to re-create it at when a delivery went missing, the connection was
        lost or it is stopping (a None in the inbox)."""
        spec, loop = self.spec, asyncio.get_running_loop()
        expected = 1  # the consumer sequence of the next delivery: a jump is a delivery lost on the way
        while not self._stopping.is_set():
            messages = [await inbox.get()]
            while len(messages) < spec.batch and not inbox.empty():
                messages.append(inbox.get_nowait())
            deliveries, reset = [], False
            for message in messages:
                if message is None or _consumer_seq(message) != expected:
                    reset = True
                    break
                expected += 1
                deliveries.append(self._delivery(message))
            if deliveries:
                try:
                    if spec.inline:
                        self._handler(deliveries)
                    else:
                        await loop.run_in_executor(self._workers, self._handler, deliveries)
                except Exception:
                    # A consumer that stopped would stop the order path without a sound: the process ends instead,
                    # and its restart re-creates the consumer where what it applied ends.
                    log.critical("nats %s: handler of %s failed; exiting", self._name, spec.durable, exc_info=True)
                    logging.shutdown()
                    os._exit(70)
                next_seq = deliveries[-1].stream_seq + 1
            if reset:
                if not self._stopping.is_set():
                    log.info("nats %s: %s re-created at stream sequence %d", self._name, spec.durable, next_seq)
                return next_seq
        return next_seq

    async def _subscribe(self, start_seq: int, inbox: asyncio.Queue[Msg | None]) -> Any:
        """A durable push consumer from ``start_seq``: the server sends each message as soon as it has stored it
        (no pull request to wait for: one hop fewer than a fetch), into ``inbox``."""
        spec = self.spec
        config = api.ConsumerConfig(
            durable_name=spec.durable,
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=start_seq,
            # An ack covers every message before it: the ack of a later batch repairs one lost while the server was
            # away (it restarted, or its consumer state had not reached the disk), and nothing waits out ack_wait.
            ack_policy=api.AckPolicy.ALL,
            ack_wait=60.0,
            # Bounds what is in flight, hence this client's buffer: nothing is dropped as a slow consumer.
            max_ack_pending=_MAX_IN_FLIGHT,
            filter_subject=None if spec.also else spec.subject,
            filter_subjects=[spec.subject, *spec.also] if spec.also else None,
        )

        async def put(message: Msg) -> None:
            inbox.put_nowait(message)

        while True:
            try:
                with contextlib.suppress(nats.js.errors.NotFoundError):
                    await self._js.delete_consumer(spec.stream, spec.durable)
                config.deliver_subject = self._nc.new_inbox()
                subscription = await self._nc.subscribe(
                    config.deliver_subject, cb=put, pending_msgs_limit=0, pending_bytes_limit=0
                )
                try:
                    await self._js.add_consumer(spec.stream, config)
                except BaseException:
                    await subscription.unsubscribe()
                    raise
                return subscription
            except TRANSIENT:
                await asyncio.sleep(RETRY_S)

    def _delivery(self, msg: Msg) -> Delivery:
        meta = msg.metadata
        loop, ident, spawn = asyncio.get_running_loop(), self._loop_ident, self._spawn

        def ack() -> None:
            if threading.get_ident() == ident:  # an inline handler, or a commit led on the loop: no wake-up
                spawn(msg.ack())
            else:
                loop.call_soon_threadsafe(lambda: spawn(msg.ack()))

        return Delivery(
            data=msg.data,
            subject=msg.subject,
            stream_seq=meta.sequence.stream,
            num_delivered=meta.num_delivered,
            ack=ack,
        )


def _consumer_seq(msg: Msg) -> int:
    try:
        return int(msg.metadata.sequence.consumer)
    except (nats.errors.NotJSMessageError, ValueError, AttributeError):  # a status: re-create the consumer
        return -1
