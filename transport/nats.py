"""The one adapter around nats-py: a JetStream connection run on an asyncio loop of its own, used from threads.

Theory of operation. quickfix calls us on its threads and the journal commits on its own; nats-py is asyncio. A
``NatsLink`` runs one event loop on a daemon thread, and every call from another thread is a coroutine handed to it
(``run_coroutine_threadsafe``): one hop each way, the cost of the services deployment at each seam.

- ``publish`` waits for the PubAck and retries with the same Nats-Msg-Id until its deadline: while the server is
  away (restarting) the publish is not lost, and a retry of one that did land is dropped by JetStream as a
  duplicate (``PubAck.duplicate``, counted in ``duplicates``).
- ``consume`` re-creates a durable pull consumer at the stream sequence its caller says it has applied, then
  fetches batches in stream order and hands each to the caller's handler on the link's worker thread; the handler
  acks the batch's last message (``Delivery.ack``, which acks all before it) once what it did is durable on its
  side. Re-creating at start means a restart never
  waits out an ack timeout to see a message again, and never sees messages out of their order.
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

from transport.subjects import DUPLICATE_WINDOW_S, MAX_AGE_S, StreamSpec

log = logging.getLogger("fixgw.transport")

T = TypeVar("T")
_RETRY_S = 0.2
_FETCH_S = 1.0
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


class TransportUnavailable(Exception):
    """JetStream did not take a message within the deadline (the server is down or unreachable)."""


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    """One message fetched from a stream."""

    data: bytes
    stream_seq: int
    num_delivered: int
    ack: Callable[[], None]
    """Acknowledge it and every message before it (any thread; fire and forget: a lost ack only makes it come
    again, unless a later one covers it)."""


class ConsumerSpec(msgspec.Struct, frozen=True, kw_only=True):
    """A durable pull consumer of one subject of a stream."""

    stream: str
    subject: str
    durable: str
    batch: int = 256


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
        ``handler`` (on a worker thread, one batch at a time) until ``stop``."""
        future = asyncio.run_coroutine_threadsafe(self._consume(spec, start_seq, handler), self._loop)
        self._tasks.append(future)

    async def _consume(self, spec: ConsumerSpec, start_seq: int, handler: Callable[[list[Delivery]], None]) -> None:
        subscription = await self._subscribe(spec, start_seq)
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            try:
                messages = await subscription.fetch(spec.batch, timeout=_FETCH_S)
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            except (*_TRANSIENT, nats.js.errors.APIError) as exc:
                log.warning("nats %s: fetch from %s failed (%r); retrying", self.name, spec.durable, exc)
                await asyncio.sleep(_RETRY_S)
                continue
            deliveries = [self._delivery(m) for m in messages]
            if not deliveries:  # a fetch can end with status messages only
                continue
            try:
                await loop.run_in_executor(self._workers, handler, deliveries)
            except Exception:
                # A consumer that stopped would stop the order path without a sound: the process ends instead, and
                # its restart re-creates the consumer where what it applied ends.
                log.critical("nats %s: handler of %s failed; exiting", self.name, spec.durable, exc_info=True)
                logging.shutdown()
                os._exit(70)

    async def _subscribe(self, spec: ConsumerSpec, start_seq: int) -> Any:
        config = api.ConsumerConfig(
            durable_name=spec.durable,
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=max(start_seq, 1),
            # An ack covers every message before it: the ack of a later batch repairs one lost while the server was
            # away (it restarted, or its consumer state had not reached the disk), and nothing waits out ack_wait.
            ack_policy=api.AckPolicy.ALL,
            ack_wait=60.0,
            max_ack_pending=-1,
            filter_subject=spec.subject,
        )
        while True:
            try:
                with contextlib.suppress(nats.js.errors.NotFoundError):
                    await self._js.delete_consumer(spec.stream, spec.durable)
                await self._js.add_consumer(spec.stream, config)
                return await self._js.pull_subscribe_bind(spec.durable, spec.stream)
            except _TRANSIENT:
                await asyncio.sleep(_RETRY_S)

    def _delivery(self, msg: Msg) -> Delivery:
        meta = msg.metadata
        loop = self._loop

        def ack() -> None:
            loop.call_soon_threadsafe(lambda: asyncio.ensure_future(_quiet_ack(msg)))

        return Delivery(data=msg.data, stream_seq=meta.sequence.stream, num_delivered=meta.num_delivered, ack=ack)

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
        for task in self._tasks:
            with contextlib.suppress(Exception):
                task.result(timeout=_FETCH_S + 1)

    def close(self, timeout: float = 5.0) -> None:
        """Stop consuming, close the connection, stop the loop."""
        self.stop_consuming()
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


async def _quiet_ack(msg: Msg) -> None:
    with contextlib.suppress(Exception):
        await msg.ack()
