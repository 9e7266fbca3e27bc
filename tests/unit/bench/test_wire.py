"""The load generator's raw FIX: what it encodes is valid FIX, and it frames a stream however reads cut it."""

from __future__ import annotations

import simplefix
from hypothesis import given
from hypothesis import strategies as st

from app.bench.wire import Encoder, Framer, field


def _parse(raw: bytes) -> simplefix.FixMessage:
    parser = simplefix.FixParser()
    parser.append_buffer(raw)
    message = parser.get_message()
    assert message is not None, raw
    return message


def test_encoded_message_has_correct_body_length_checksum_and_sequence() -> None:
    encoder = Encoder("FIX.4.4", "CLIENT1", "FIXGW")
    first = encoder.encode(b"A", b"98=0\x01108=30\x01")
    second = encoder.encode(b"D", b"11=X1\x0155=MSFT\x01")
    for raw, seq in ((first, b"1"), (second, b"2")):
        body = raw[raw.index(b"\x0135=") + 1 : raw.rindex(b"10=")]
        assert field(raw, b"\x019=") == str(len(body)).encode()
        assert raw.endswith(b"10=%03d\x01" % (sum(raw[: raw.rindex(b"10=")]) % 256))
        parsed = _parse(raw)
        assert parsed.get(34) == seq
        assert parsed.get(49) == b"CLIENT1" and parsed.get(56) == b"FIXGW"
    assert _parse(second).get(55) == b"MSFT"


def test_field_finds_value_or_none() -> None:
    raw = Encoder("FIX.4.4", "A", "B").encode(b"8", b"11=abc\x01150=F\x01")
    assert field(raw, b"\x0111=") == b"abc"
    assert field(raw, b"\x01150=") == b"F"
    assert field(raw, b"\x0158=") is None


@given(
    bodies=st.lists(
        st.binary(min_size=0, max_size=40).filter(lambda b: b"\x01" not in b and b"=" not in b), min_size=1, max_size=8
    ),
    cuts=st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=30),
)
def test_framer_returns_every_message_whole_however_the_stream_is_cut(bodies: list[bytes], cuts: list[int]) -> None:
    encoder = Encoder("FIX.4.4", "S", "T")
    messages = [encoder.encode(b"8", b"58=" + body + b"\x01") for body in bodies]
    stream = b"".join(messages)
    framer = Framer()
    received: list[bytes] = []
    at = 0
    for cut in cuts * (len(stream) // max(1, sum(cuts)) + 1):
        if at >= len(stream):
            break
        received += framer.feed(stream[at : at + cut])
        at += cut
    received += framer.feed(stream[at:])
    assert received == messages
