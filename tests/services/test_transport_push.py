"""``NatsLink.consume`` over a real nats-server: the push consumer hands every message on once, in stream order,
also across a SIGKILL and restart of the server (the consumer is re-created after the last message handed on)."""

from __future__ import annotations

import threading

import pytest

from app.services.nats_server import NatsServer
from transport.nats import ConsumerSpec, Delivery, NatsLink
from transport.subjects import StreamSpec

pytestmark = pytest.mark.integration
STREAM = StreamSpec(name="FIXGW_PUSH_TEST", subjects=("push.>",))
TIMEOUT = 30.0


def _wait(condition: threading.Condition, predicate: object, what: str) -> None:
    with condition:
        assert condition.wait_for(predicate, TIMEOUT), what  # type: ignore[arg-type]


@pytest.mark.timeout(120)
def test_consume_when_server_killed_and_restarted_then_every_message_once_in_order(nats_server: NatsServer) -> None:
    # Arrange
    link = NatsLink(nats_server.url, "push-test")
    handed: list[tuple[int, bytes]] = []
    changed = threading.Condition()

    def handler(batch: list[Delivery]) -> None:
        with changed:
            handed.extend((d.stream_seq, d.data) for d in batch)
            changed.notify_all()
        batch[-1].ack()

    try:
        link.ensure_streams([STREAM])
        for i in range(50):  # some before the consumer exists, some to another subject it must not see
            link.publish("push.a", f"{i}".encode(), f"a{i}")
            link.publish("push.b", b"other", f"b{i}")
        spec = ConsumerSpec(stream=STREAM.name, subject="push.a", durable="push-test", batch=16)

        # Act: consume from the start, publish more, kill the server mid-flow, restart it, publish the rest
        link.consume(spec, 1, handler)
        for i in range(50, 100):
            link.publish("push.a", f"{i}".encode(), f"a{i}")
        _wait(changed, lambda: len(handed) >= 60, "the first messages were not handed on")
        nats_server.kill()
        nats_server.start()
        for i in range(100, 150):
            link.publish("push.a", f"{i}".encode(), f"a{i}", timeout=TIMEOUT)
        _wait(changed, lambda: len(handed) >= 150, f"only {len(handed)} of 150 handed on")

        # Assert
        with changed:
            data = [int(d) for _, d in handed]
        assert data == list(range(150))
    finally:
        link.close()
