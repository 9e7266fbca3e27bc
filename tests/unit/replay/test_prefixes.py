"""Line prefixes of the engines in ../shared/fixlogs: layout, time, direction and session id."""

from __future__ import annotations

import pytest

from replay.prefixes import Direction, parse_prefix

IN, OUT = Direction.INCOMING, Direction.OUTGOING


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        (b"20240507-21:35:21.405546000 : ", ("quickfix", "20240507-21:35:21.405546000", None, "")),
        (b"2018/02/23 19:14:25.174454 ", ("quickfixgo", "2018/02/23 19:14:25.174454", None, "")),
        (
            b"<20200713-17:51:24, FIX.4.4:FIXTESTA->MONTRANTS, outgoing> (",
            ("screenlog", "20200713-17:51:24", OUT, "FIX.4.4:FIXTESTA->MONTRANTS"),
        ),
        (b"(12:02:03.25700) IN ", ("in-out", "12:02:03.25700", IN, "")),
        (
            b"2020/03/02-06:14:36,393 INFO :: TracingOutgoingMessage[HFE_UAT_EQ_US]: ",
            ("tracing", "2020/03/02-06:14:36,393", OUT, ""),
        ),
        (
            b"2015-08-26 23:10:17,748 FIX.4.2:DUMMY_INC->ANOTHER_INC: ",
            ("log4j", "2015-08-26 23:10:17,748", None, "FIX.4.2:DUMMY_INC->ANOTHER_INC"),
        ),
        (
            b"incoming 09:15:57 INFO  - FIX.4.4:TFBRIDGE->BRBRIDGE: ",
            ("log4j", "09:15:57", IN, "FIX.4.4:TFBRIDGE->BRBRIDGE"),
        ),
        (b"20060410-07:01:59 ->\x00 \x00", ("arrow", "20060410-07:01:59", OUT, "")),
        (b"04/10/2006  15:20:39:   <== ", ("arrow", "04/10/2006  15:20:39", IN, "")),
        (b"INFO  [main] ValidateScript 09:15:57 - Message going out:", ("other", "09:15:57", OUT, "")),
        (b"We should be smart enough to parse this!!! ", ("other", "", None, "")),
        (b"", ("bare", "", None, "")),
    ],
)
def test_parse_prefix_when_an_engine_wrote_the_line_then_its_layout_time_direction_and_session_are_read(
    prefix: bytes, expected: tuple[str, str, Direction | None, str]
) -> None:
    info, _ = parse_prefix(prefix)

    assert tuple(info) == expected
