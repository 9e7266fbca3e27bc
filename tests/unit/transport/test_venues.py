"""What travels between the core and a venue service: requests and the venue's events survive the trip unchanged;
the venue service's sent-through sequence survives a reopen."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from app.services.venue import SentThrough
from domain.commands import CancelAtVenue
from domain.enums import Side
from domain.ids import ClOrdId, OrderId, Symbol, VenueId
from tests.factories import accepted, cancel_rejected, denied, fill, new_order
from transport.envelope import Inbound
from transport.venues import (
    Sent,
    VenueFix,
    VenueIn,
    VenueOut,
    VenueSaid,
    at_venue,
    decode_in,
    decode_out,
    encode_in,
    encode_out,
    from_venue,
    tag_report,
    untag_report,
)


def test_venue_out_when_encoded_then_decodes_to_the_same_order_and_request() -> None:
    # Arrange
    order = VenueOut(order=new_order(price=Decimal("100.123456789012")), venue_cl_ord_id=ClOrdId("O-1"))
    cancel = VenueOut(
        cancel=CancelAtVenue(
            order_id=OrderId("O-1"),
            venue=VenueId("VENUE"),
            venue_cl_ord_id=ClOrdId("O-1.1"),
            venue_orig_cl_ord_id=ClOrdId("O-1"),
            symbol=Symbol("MSFT"),
            side=Side.BUY,
            order_qty=Decimal(100),
        )
    )

    # Act
    decoded = [decode_out(encode_out(out)) for out in (order, cancel)]

    # Assert
    assert decoded == [order, cancel]


@pytest.mark.parametrize("report", [accepted(), fill("40", "100.25")], ids=["accepted", "filled"])
def test_venue_fix_when_encoded_then_its_report_keeps_its_type_and_fields(report: object) -> None:
    # Arrange
    inbound = Inbound("FIX.4.4:FIXGW->VENUE", 7, "8", "O-1", "8=FIX.4.4|35=8|34=7|", 99)
    message = VenueIn(fix=VenueFix(report=tag_report(report), inbound=inbound, store_created_ns=5))  # type: ignore[arg-type]

    # Act
    decoded = decode_in(encode_in(message))

    # Assert
    assert decoded.fix is not None and decoded.fix.report is not None
    assert untag_report(decoded.fix.report) == report
    assert type(untag_report(decoded.fix.report)) is type(report)
    assert decoded.fix.inbound == inbound


def test_venue_said_when_encoded_then_refusals_and_sent_texts_survive() -> None:
    # Arrange
    said = VenueSaid(
        venue="VENUE",
        logged_on=True,
        denied=[denied()],
        cancel_rejects=[cancel_rejected()],
        sent=[Sent("FIX.4.4:FIXGW->VENUE", "8=FIX.4.4|35=D|", 3, "O-1")],
    )

    # Act
    decoded = decode_in(encode_in(VenueIn(said=said)))

    # Assert
    assert decoded.said == said


def test_untag_report_when_kind_unknown_then_decode_error() -> None:
    # Arrange
    tagged = tag_report(accepted())
    forged = type(tagged)("OrderExploded", tagged.body)

    # Act / Assert
    with pytest.raises(msgspec.DecodeError, match="OrderExploded"):
        untag_report(forged)


def test_sent_through_when_advanced_then_a_reopen_reads_it(tmp_path: Path) -> None:
    # Arrange
    path = tmp_path / "venue" / "sent-through"
    first = SentThrough(path, "2026-12-03T10:00:00Z")
    start = first.value

    # Act
    first.advance(123_456)
    first.close()
    again = SentThrough(path, "2026-12-03T10:00:00Z")

    # Assert
    assert start == 0
    assert again.value == 123_456
    again.close()


def test_sent_through_when_stream_made_again_then_starts_afresh(tmp_path: Path) -> None:
    # Arrange
    path = tmp_path / "sent-through"
    old = SentThrough(path, "2026-12-03T10:00:00Z")
    old.advance(500)
    old.close()

    # Act
    new = SentThrough(path, "2026-12-03T11:00:00Z")

    # Assert
    assert new.value == 0
    new.close()


@pytest.mark.parametrize(
    ("ours", "partition", "at_the_venue"),
    [("O12", "0", "O12"), ("O12.3", "0", "O12.3"), ("O12", "1", "1-O12"), ("O12.3", "17", "17-O12.3")],
)
def test_at_venue_when_partition_given_then_from_venue_gives_it_back(
    ours: str, partition: str, at_the_venue: str
) -> None:
    # Act
    sent = at_venue(ours, partition)

    # Assert
    assert sent == at_the_venue
    assert from_venue(sent) == (partition, ours)


def test_from_venue_when_not_a_partition_prefix_then_partition_zero() -> None:
    assert from_venue("MC-X1") == ("0", "MC-X1")
