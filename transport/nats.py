"""The one adapter around nats-py: a JetStream connection run on an asyncio loop of its own, used from threads.

Theory of operation. quickfix calls us on its threads and the journal commits on its own; nats-py is asyncio. A
``NatsLink`` runs one event loop on a daemon thread, and every call from another thread is a coroutine handed to it
(``run_coroutine_threadsafe``): one hop each way, the cost of the services deployment at each seam.

- ``publish`` waits for the PubAck and retries with the same Nats-Msg-Id until its deadline: while the server is
  away (restarting) the publish is not lost, and a retry of one that did land is dropped by JetStream as a
  duplicate (``PubAck.duplicate``, counted in ``duplicates``).
- ``consume`` re-creates a durable push consumer at the stream sequence its caller says it has applied: the server
  sends each message as soon as it has stored it (a pull consumer's fetch costs a no-wait probe and a request
  first). What arrived while the last batch was being handled is the next batch, handed in stream order to the
  caller's handler on the link's worker thread; the handler acks the batch's last message (``Delivery.ack``, which
  acks all before it) once what it did is durable on its side. A jump in the consumer sequence (a delivery lost)
  or a reconnection re-creates the consumer after the last message handed on, so nothing is skipped; re-creating
  at start means a restart never waits out an ack timeout to see a message again, nor sees messages out of order.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

import msgspec
import nats
import nats.errors
import nats.js.errors
from nats.aio.msg import Msg
from nats.js import api

from transport.errors import TransportUnavailable
from transport.publisher import JetStreamPublisher
from transport.subjects import DUPLICATE_WINDOW_S, MAX_AGE_S, StreamSpec

__all__ = ["ConsumerSpec", "Delivery", "NatsLink", "TransportUnavailable"]

log = logging.getLogger("fixgw.transport")

T = TypeVar("T")
_RETRY_S = 0.2
_STOP_S = 2.0
"""How long ``stop_consuming`` waits for the batch being handled."""
_MAX_IN_FLIGHT = 20_000
_TRANSIENT = (
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
    handler that never waits on this link)."""


class NatsLink:
    """A JetStream connection for threads: publish with a PubAck, consume in order."""

    def __init__(self, url: str, name: str, *, connect_timeout: float = 30.0) -> None:
        """Connect to ``url`` (retrying until ``connect_timeout``); ``name`` shows in the server's monitoring."""
        self.url = url
        self.name = name
        self.duplicates = 0
        """Publishes JetStream dropped as duplicates of one it already had (same Nats-Msg-Id in the window)."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"nats-{name}", daemon=True)
        self._thread.start()
        self._workers = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix=f"nats-{name}-w")
        self._stopping = threading.Event()
        self._quiet = False
        self._tasks: list[concurrent.futures.Future[None]] = []
        self._inboxes: set[asyncio.Queue[Msg | None]] = set()
        self._sends: set[asyncio.Future[None]] = set()
        self._publishers: list[JetStreamPublisher] = []
        self._nc: Any = self._call(self._connect(connect_timeout), connect_timeout + 5)
        self._js: Any = self._nc.jetstream(timeout=5.0)

    # -- setup ---------------------------------------------------------------------------------------

    async def _connect(self, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return await nats.connect(
                    self.url,
                    name=self.name,
                    connect_timeout=2,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.1,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                )
            except (*_TRANSIENT, nats.errors.NoServersError) as exc:
                if time.monotonic() > deadline:
                    raise TransportUnavailable(f"cannot connect to NATS at {self.url}: {exc!r}") from None
                await asyncio.sleep(_RETRY_S)

    async def _on_error(self, exc: Exception) -> None:
        if self._quiet:  # one line per outage, not one per reconnect attempt (10 a second)
            return
        self._quiet = isinstance(exc, OSError)
        log.warning("nats %s: %r", self.name, exc)

    async def _on_disconnected(self) -> None:
        if self._stopping.is_set():
            return
        log.warning("nats %s: disconnected from %s", self.name, self.url)

    async def _on_reconnected(self) -> None:
        self._quiet = False
        log.info("nats %s: reconnected", self.name)
        for inbox in self._inboxes:  # deliveries may have been lost with the connection: re-create the consumers
            inbox.put_nowait(None)

    def ensure_streams(self, specs: Sequence[StreamSpec], timeout: float = 30.0) -> None:
        """Create each stream (file storage, a day's messages, the duplicate window), or update it to these."""
        self._call(self._ensure_streams(specs, timeout), timeout + 5)

    async def _ensure_streams(self, specs: Sequence[StreamSpec], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for spec in specs:
            config = api.StreamConfig(
                name=spec.name,
                subjects=list(spec.subjects),
                retention=api.RetentionPolicy.LIMITS,
                storage=api.StorageType.FILE,
                max_age=MAX_AGE_S,
                duplicate_window=DUPLICATE_WINDOW_S,
            )
            while True:
                try:
                    try:
                        await self._js.add_stream(config)
                    except nats.js.errors.BadRequestError:  # it exists with other settings: take ours
                        await self._js.update_stream(config)
                    break
                except _TRANSIENT:
                    if time.monotonic() > deadline:
                        raise TransportUnavailable(f"cannot create stream {spec.name} at {self.url}") from None
                    await asyncio.sleep(_RETRY_S)

    # -- publishing ----------------------------------------------------------------------------------

    def publish(self, subject: str, payload: bytes, msg_id: str | None, timeout: float = 10.0) -> None:
        """Publish and wait for the PubAck; retry (same Nats-Msg-Id) until ``timeout``, then raise
        ``TransportUnavailable``."""
        self._call(self._publish(subject, payload, msg_id, timeout), timeout + 5)

    def publish_all(self, messages: Sequence[tuple[str, bytes, str | None]], timeout: float = 30.0) -> None:
        """Publish ``(subject, payload, msg_id)`` in order, all PubAcks awaited together; retry as ``publish``."""
        if messages:
            self._call(self._publish_all(messages, timeout), timeout + 5)

    async def _publish_all(self, messages: Sequence[tuple[str, bytes, str | None]], timeout: float) -> None:
        try:  # the fast way: every message written, then the acks collected
            futures = [
                await self._js.publish_async(s, p, headers=_headers(m), wait_stall=timeout) for s, p, m in messages
            ]
            acks = await asyncio.wait_for(asyncio.gather(*futures), timeout=5.0)
            self._duplicates(sum(1 for ack in acks if ack.duplicate), messages[0][0])
        except (*_TRANSIENT, nats.js.errors.TooManyStalledMsgsError):
            for subject, payload, msg_id in messages:  # one at a time, in order; duplicates drop what had landed
                await self._publish(subject, payload, msg_id, timeout)

    async def _publish(self, subject: str, payload: bytes, msg_id: str | None, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                ack = await self._js.publish(subject, payload, timeout=2.0, headers=_headers(msg_id))
            except _TRANSIENT as exc:
                if time.monotonic() > deadline:
                    raise TransportUnavailable(
                        f"JetStream did not take {subject} within {timeout:g}s: {exc!r}"
                    ) from None
                await asyncio.sleep(_RETRY_S)
                continue
            if ack.duplicate:
                self._duplicates(1, subject)
            return

    def publisher(self, purpose: str) -> JetStreamPublisher:
        """A publisher for a thread that waits for its PubAcks (``transport.publisher``: no hop to this link's loop),
        on a connection of its own; closed with the link. Its duplicates count in ``duplicates``."""
        publisher = JetStreamPublisher(self.url, f"{self.name}-{purpose}", self._duplicates)
        self._publishers.append(publisher)
        return publisher

    def send(self, subject: str, payload: bytes) -> None:
        """Publish on plain NATS, not waiting (at most once: no store, no PubAck; a lost one is not retried)."""
        if threading.get_ident() == self._thread.ident:  # on the loop already (an inline handler): no wake-up
            self._send_soon(subject, payload)
        else:
            self._loop.call_soon_threadsafe(self._send_soon, subject, payload)

    def _send_soon(self, subject: str, payload: bytes) -> None:
        self._spawn(self._nc.publish(subject, payload))

    def _spawn(self, call: Coroutine[Any, Any, None]) -> None:
        """Run ``call`` on the loop (on its thread), its failure ignored."""
        task = asyncio.ensure_future(_swallow(call))
        self._sends.add(task)  # the loop keeps only a weak reference to a task
        task.add_done_callback(self._sends.discard)

    def listen(self, subjects: Sequence[str], handler: Callable[[str, bytes], None], *, inline: bool = False) -> None:
        """Hand each plain NATS message on ``subjects`` to ``handler(subject, data)`` on a worker thread (on the loop's
        with ``inline``: see ``ConsumerSpec.inline``)."""
        loop = self._loop

        async def handle(msg: Msg) -> None:
            try:
                if inline:
                    handler(msg.subject, msg.data)
                else:
                    await loop.run_in_executor(self._workers, handler, msg.subject, msg.data)
            except Exception:  # the message is lost, as plain NATS may lose it: its reliable copy follows
                log.exception("nats %s: handler of %s failed", self.name, msg.subject)

        for subject in subjects:
            self._call(self._nc.subscribe(subject, cb=handle, pending_msgs_limit=0, pending_bytes_limit=0), 10.0)

    def _duplicates(self, count: int, subject: str) -> None:
        if count:  # rare (a resend after a restart): worth a line each time, and the tests count these lines
            self.duplicates += count
            log.info(
                "nats %s: JetStream dropped %d duplicate(s) on %s (%d in all)",
                self.name,
                count,
                subject,
                self.duplicates,
            )

    # -- consuming ----------------------------------------------------------------------------------

    def consumer_floor(self, spec: ConsumerSpec) -> tuple[int, int] | None:
        """The durable consumer's (ack floor, last delivered) stream sequences, or None when it does not exist."""
        return self._call(self._floor(spec), 60.0)

    async def _floor(self, spec: ConsumerSpec) -> tuple[int, int] | None:
        while True:
            try:
                info = await self._js.consumer_info(spec.stream, spec.durable)
                return int(info.ack_floor.stream_seq), int(info.delivered.stream_seq)
            except nats.js.errors.NotFoundError:
                return None
            except _TRANSIENT:
                await asyncio.sleep(_RETRY_S)

    def last_message(self, stream: str, subject: str) -> bytes | None:
        """The payload of the last message ``stream`` holds on ``subject``, or None when it holds none."""
        return self._call(self._last(stream, subject), 60.0)

    async def _last(self, stream: str, subject: str) -> bytes | None:
        while True:
            try:
                return bytes((await self._js.get_last_msg(stream, subject)).data or b"")
            except nats.js.errors.NotFoundError:
                return None
            except _TRANSIENT:
                await asyncio.sleep(_RETRY_S)

    def stream_created(self, stream: str) -> str:
        """When ``stream`` was created: its identity (one deleted and made again starts its sequences again)."""
        return self._call(self._created(stream), 60.0)

    async def _created(self, stream: str) -> str:
        while True:
            try:
                return str((await self._js.stream_info(stream)).created)
            except _TRANSIENT:
                await asyncio.sleep(_RETRY_S)

    def consume(self, spec: ConsumerSpec, start_seq: int, handler: Callable[[list[Delivery]], None]) -> None:
        """Re-create ``spec``'s consumer to deliver from stream sequence ``start_seq`` on, then hand every batch to
        ``handler`` (on a worker thread, or the loop's with ``spec.inline``; one batch at a time) until ``stop``."""
        future = asyncio.run_coroutine_threadsafe(self._consume(spec, start_seq, handler), self._loop)
        self._tasks.append(future)

    async def _consume(self, spec: ConsumerSpec, start_seq: int, handler: Callable[[list[Delivery]], None]) -> None:
        loop = asyncio.get_running_loop()
        next_seq = max(start_seq, 1)
        while not self._stopping.is_set():
            # A queue per subscription: what an old one still delivers is dropped with it (the new consumer starts
            # after the last message handed on, and delivers the rest again).
            inbox: asyncio.Queue[Msg | None] = asyncio.Queue()
            self._inboxes.add(inbox)
            try:
                subscription = await self._subscribe(spec, next_seq, inbox)
                try:
                    next_seq = await self._deliver(spec, inbox, handler, loop, next_seq)
                finally:
                    with contextlib.suppress(Exception):
                        await subscription.unsubscribe()
            finally:
                self._inboxes.discard(inbox)

    async def _deliver(
        self,
        spec: ConsumerSpec,
        inbox: asyncio.Queue[Msg | None],
        handler: Callable[[list[Delivery]], None],
        loop: asyncio.AbstractEventLoop,
        next_seq: int,
    ) -> int:
        """Hand what the push consumer delivers to ``handler`` in batches (what arrived while the last one was being
        handled); return the stream sequence to re-create it at when a delivery went missing or the connection was
        lost (``None`` in the inbox)."""
        expected = 1  # the consumer sequence of the next delivery: a jump is a delivery lost on the way
        while not self._stopping.is_set():
            # No timeout: ``stop_consuming`` wakes it with a None (a wait_for per delivery made a task and a timer).
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
                        handler(deliveries)
                    else:
                        await loop.run_in_executor(self._workers, handler, deliveries)
                except Exception:
                    # A consumer that stopped would stop the order path without a sound: the process ends instead,
                    # and its restart re-creates the consumer where what it applied ends.
                    log.critical("nats %s: handler of %s failed; exiting", self.name, spec.durable, exc_info=True)
                    logging.shutdown()
                    os._exit(70)
                next_seq = deliveries[-1].stream_seq + 1
            if reset:
                if not self._stopping.is_set():
                    log.info("nats %s: %s re-created at stream sequence %d", self.name, spec.durable, next_seq)
                return next_seq
        return next_seq

    async def _subscribe(self, spec: ConsumerSpec, start_seq: int, inbox: asyncio.Queue[Msg | None]) -> Any:
        """A durable push consumer from ``start_seq``: the server sends each message as soon as it has stored it
        (no pull request to wait for: one hop fewer than a fetch), into ``inbox``."""
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
            except _TRANSIENT:
                await asyncio.sleep(_RETRY_S)

    def _delivery(self, msg: Msg) -> Delivery:
        meta = msg.metadata
        loop, ident = self._loop, self._thread.ident

        def ack() -> None:
            if threading.get_ident() == ident:  # an inline handler, or a commit led on the loop: no wake-up
                self._spawn(msg.ack())
            else:
                loop.call_soon_threadsafe(lambda: self._spawn(msg.ack()))

        return Delivery(
            data=msg.data,
            subject=msg.subject,
            stream_seq=meta.sequence.stream,
            num_delivered=meta.num_delivered,
            ack=ack,
        )

    def pending(self, spec: ConsumerSpec) -> int:
        """Messages of ``spec``'s subject not yet delivered, plus delivered and not acknowledged (its lag)."""

        async def lag() -> int:
            info = await self._js.consumer_info(spec.stream, spec.durable)
            return int(info.num_pending) + int(info.num_ack_pending)

        return self._call(lag(), 10.0)

    # -- lifecycle ----------------------------------------------------------------------------------

    def stop_consuming(self) -> None:
        """Take no more batches (the one being handled finishes); publishing still works."""
        self._stopping.set()
        with contextlib.suppress(RuntimeError):  # the loop is closed already
            self._loop.call_soon_threadsafe(self._wake_consumers)
        for task in self._tasks:
            with contextlib.suppress(Exception):
                task.result(timeout=_STOP_S)

    def _wake_consumers(self) -> None:
        for inbox in self._inboxes:  # each ends at its None, seeing ``_stopping``
            inbox.put_nowait(None)

    def close(self, timeout: float = 5.0) -> None:
        """Stop consuming, close the connection, stop the loop."""
        self.stop_consuming()
        for publisher in self._publishers:
            publisher.close()
        with contextlib.suppress(Exception):
            self._call(self._nc.close(), timeout)
        with contextlib.suppress(Exception):
            self._call(_cancel_others(), timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()
        self._workers.shutdown(wait=False)

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)


def _headers(msg_id: str | None) -> dict[str, str] | None:
    return None if msg_id is None else {api.Header.MSG_ID: msg_id}


async def _cancel_others() -> None:
    """Cancel what nats-py left running on the loop (its read loop, pinger, flusher), so the loop closes clean."""
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


def _consumer_seq(msg: Msg) -> int:
    try:
        return int(msg.metadata.sequence.consumer)
    except (nats.errors.NotJSMessageError, ValueError, AttributeError):  # a status: re-create the consumer
        return -1


async def _swallow(call: Coroutine[Any, Any, None]) -> None:
    with contextlib.suppress(Exception):
        await call
