"""``JetStreamPublisher`` over a real nats-server: the calling thread's publishes are stored in order, a resend with
the same Nats-Msg-Id is dropped as a duplicate, a server that is away makes it retry until its deadline (and then
raise), and a restarted one takes what it retries."""

from __future__ import annotations

import threading
import time

import pytest

from app.services.nats_server import NatsServer
from transport.errors import TransportUnavailable
from transport.nats import NatsLink
from transport.publisher import JetStreamPublisher
from transport.subjects import StreamSpec

pytestmark = pytest.mark.integration
STREAM = StreamSpec(name="FIXGW_PUBLISHER_TEST", subjects=("pub.>",))


def _stored(link: NatsLink, count: int) -> list[bytes]:
    """The payloads of stream sequences 1..count."""

    async def read() -> list[bytes]:
        return [bytes((await link._js.get_msg(STREAM.name, seq)).data or b"") for seq in range(1, count + 1)]

    return link._call(read(), 10.0)


def _count(link: NatsLink) -> int:
    """How many messages the stream holds."""

    async def info() -> int:
        return int((await link._js.stream_info(STREAM.name)).state.messages)

    return link._call(info(), 10.0)


@pytest.mark.timeout(120)
def test_publish_all_when_resent_and_server_restarted_then_stored_once_in_order(nats_server: NatsServer) -> None:
    # Arrange
    link = NatsLink(nats_server.url, "publisher-test")
    duplicates: list[int] = []
    publisher = JetStreamPublisher(nats_server.url, "publisher-test", lambda count, _: duplicates.append(count))
    try:
        link.ensure_streams([STREAM])

        # Act: a batch, the same batch again (same ids), one without an id, a restart of the server, one more
        publisher.publish_all([("pub.a", f"{i}".encode(), f"m{i}") for i in range(5)])
        publisher.publish_all([("pub.a", f"{i}".encode(), f"m{i}") for i in range(5)])
        publisher.publish("pub.a", b"5", None)
        nats_server.kill()
        nats_server.start()
        publisher.publish("pub.a", b"6", "m6", timeout=30.0)

        # Assert
        assert duplicates == [5]
        assert _count(link) == 7  # nothing stored twice
        assert _stored(link, 7) == [f"{i}".encode() for i in range(7)]
    finally:
        publisher.close()
        link.close()


@pytest.mark.timeout(60)
def test_publish_when_server_down_then_transport_unavailable_at_deadline(nats_server: NatsServer) -> None:
    # Arrange
    link = NatsLink(nats_server.url, "publisher-test")
    publisher = JetStreamPublisher(nats_server.url, "publisher-test", lambda count, _: None)
    try:
        link.ensure_streams([STREAM])
        publisher.publish("pub.a", b"first", "first")
        nats_server.kill()

        # Act / Assert
        with pytest.raises(TransportUnavailable, match=r"pub\.a"):
            publisher.publish("pub.a", b"second", "second", timeout=1.0)
    finally:
        publisher.close()
        nats_server.start()
        link.close()


@pytest.mark.timeout(60)
def test_close_when_publish_waits_for_server_then_it_raises_long_before_its_deadline(nats_server: NatsServer) -> None:
    # What this proves: close() ends a publish that would otherwise retry for 50 s. (It does not tell the socket
    # shutdown in close() from the retry loop's own check of the closed flag, which follows within ~2 s.)
    # Arrange: a publish retrying against a server that is down, with a long deadline
    link = NatsLink(nats_server.url, "publisher-test")
    publisher = JetStreamPublisher(nats_server.url, "publisher-test", lambda count, _: None)
    failed: list[BaseException] = []
    try:
        link.ensure_streams([STREAM])
        publisher.publish("pub.a", b"first", "first")
        nats_server.kill()

        def publish() -> None:
            try:
                publisher.publish("pub.a", b"second", "second", timeout=50.0)
            except TransportUnavailable as exc:
                failed.append(exc)

        waiting = threading.Thread(target=publish)
        waiting.start()

        # Act
        publisher.close()
        waiting.join(10.0)

        # Assert: it gave up within 10 s of a 50 s deadline
        assert not waiting.is_alive()
        assert len(failed) == 1
    finally:
        nats_server.start()
        link.close()


@pytest.mark.timeout(60)
def test_send_when_server_down_then_false_and_after_restart_delivered(nats_server: NatsServer) -> None:
    # Arrange: a listener on the link, a publisher that only sends
    link = NatsLink(nats_server.url, "publisher-test")
    publisher = JetStreamPublisher(nats_server.url, "publisher-test", lambda count, _: None)
    heard: list[bytes] = []
    changed = threading.Condition()

    def listener(_: str, data: bytes) -> None:
        with changed:
            heard.append(data)
            changed.notify_all()

    try:
        link.listen(["fast.a"], listener, inline=True)
        assert publisher.send("fast.a", b"1")
        with changed:
            assert changed.wait_for(lambda: heard == [b"1"], 10.0), heard

        # Act: the server goes away (the send that finds it gone says so), then comes back
        nats_server.kill()
        down = [publisher.send("fast.a", b"lost") for _ in range(3)]
        nats_server.start()
        # at most once: sent again until heard (the link resubscribes once reconnected; the publisher reconnects
        # after its retry pause)
        deadline = time.monotonic() + 20.0
        sent = False
        while not sent and time.monotonic() < deadline:
            publisher.send("fast.a", b"2")
            with changed:
                sent = changed.wait_for(lambda: b"2" in heard, 0.1)

        # Assert
        assert not all(down), "a send to a server that is down said it was written every time"
        assert sent, heard
    finally:
        publisher.close()
        link.close()
