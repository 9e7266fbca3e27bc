"""The one adapter around nats-py: a JetStream connection run on an asyncio loop of its own, used from threads.

Theory of operation. quickfix calls us on its threads and the journal commits on its own; nats-py is asyncio. A
``NatsLink`` runs one event loop on a daemon thread; a call from another thread is a coroutine handed to it
(``run_coroutine_threadsafe``), one hop each way. So what a thread waits for is not done here: a publish that
waits for its PubAck goes through a ``JetStreamPublisher`` (``publisher``: the thread's own connection, no hop).
The loop does what is pushed to the process — consumers (``transport.consumer``) and plain subscriptions
(``listen``), whose handlers may run on it (``inline``) — and what need not wait: ``send`` on plain NATS, acks.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

import nats
import nats.errors
import nats.js.errors
from nats.aio.msg import Msg
from nats.js import api

from transport.consumer import RETRY_S, TRANSIENT, ConsumerSpec, Delivery, PushConsumer
from transport.errors import TransportUnavailable
from transport.publisher import JetStreamPublisher
from transport.subjects import DUPLICATE_WINDOW_S, MAX_AGE_S, StreamSpec

__all__ = ["ConsumerSpec", "Delivery", "NatsLink", "TransportUnavailable"]

log = logging.getLogger("fixgw.transport")

T = TypeVar("T")
_STOP_S = 2.0
"""How long ``stop_consuming`` waits for the batch being handled."""


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
        self._consumers: list[PushConsumer] = []
        self._own: JetStreamPublisher | None = None
        self._publishing = threading.Lock()
        self._sends: set[asyncio.Future[None]] = set()
        self._publishers: list[JetStreamPublisher] = []
        self._nc: Any = self._call(self._connect(connect_timeout), connect_timeout + 5)
        self.up_since = time.monotonic()
        """When the connection was last made (``time.monotonic``): plain subjects' silence counts from then."""
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
            except (*TRANSIENT, nats.errors.NoServersError) as exc:
                if time.monotonic() > deadline:
                    raise TransportUnavailable(f"cannot connect to NATS at {self.url}: {exc!r}") from None
                await asyncio.sleep(RETRY_S)

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
        self.up_since = time.monotonic()
        log.info("nats %s: reconnected", self.name)
        for consumer in self._consumers:  # deliveries may have been lost with the connection: re-create them
            consumer.wake()

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
                except TRANSIENT:
                    if time.monotonic() > deadline:
                        raise TransportUnavailable(f"cannot create stream {spec.name} at {self.url}") from None
                    await asyncio.sleep(RETRY_S)

    # -- publishing ----------------------------------------------------------------------------------

    def publish(self, subject: str, payload: bytes, msg_id: str | None, timeout: float = 10.0) -> None:
        """Publish and wait for the PubAck; retry (same Nats-Msg-Id) until ``timeout``, then raise
        ``TransportUnavailable`` (on a publisher of the link's own, one caller at a time: ``publisher``)."""
        self._own_publisher().publish(subject, payload, msg_id, timeout)

    def publish_all(self, messages: Sequence[tuple[str, bytes, str | None]], timeout: float = 30.0) -> None:
        """Publish ``(subject, payload, msg_id)`` in order, all PubAcks awaited together; retry as ``publish``."""
        self._own_publisher().publish_all(messages, timeout)

    def _own_publisher(self) -> JetStreamPublisher:
        with self._publishing:
            if self._own is None:
                self._own = self.publisher("link")
            return self._own

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
            except TRANSIENT:
                await asyncio.sleep(RETRY_S)

    def last_message(self, stream: str, subject: str) -> bytes | None:
        """The payload of the last message ``stream`` holds on ``subject``, or None when it holds none."""
        return self._call(self._last(stream, subject), 60.0)

    async def _last(self, stream: str, subject: str) -> bytes | None:
        while True:
            try:
                return bytes((await self._js.get_last_msg(stream, subject)).data or b"")
            except nats.js.errors.NotFoundError:
                return None
            except TRANSIENT:
                await asyncio.sleep(RETRY_S)

    def stream_created(self, stream: str) -> str:
        """When ``stream`` was created: its identity (one deleted and made again starts its sequences again)."""
        return self._call(self._created(stream), 60.0)

    async def _created(self, stream: str) -> str:
        while True:
            try:
                return str((await self._js.stream_info(stream)).created)
            except TRANSIENT:
                await asyncio.sleep(RETRY_S)

    def consume(self, spec: ConsumerSpec, start_seq: int, handler: Callable[[list[Delivery]], None]) -> None:
        """Re-create ``spec``'s consumer to deliver from stream sequence ``start_seq`` on, then hand every batch to
        ``handler`` (on a worker thread, or the loop's with ``spec.inline``; one batch at a time) until ``stop``
        (``transport.consumer``)."""
        consumer = PushConsumer(
            spec,
            handler,
            link_name=self.name,
            nc=self._nc,
            js=self._js,
            stopping=self._stopping,
            workers=self._workers,
            spawn=self._spawn,
        )
        self._consumers.append(consumer)
        self._tasks.append(asyncio.run_coroutine_threadsafe(consumer.run(start_seq), self._loop))

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
        for consumer in self._consumers:  # each ends at its None, seeing ``_stopping``
            consumer.wake()

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


async def _cancel_others() -> None:
    """Cancel what nats-py left running on the loop (its read loop, pinger, flusher), so the loop closes clean."""
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)


async def _swallow(call: Coroutine[Any, Any, None]) -> None:
    with contextlib.suppress(Exception):
        await call
