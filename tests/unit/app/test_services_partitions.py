"""The services deployment's partitions: an account's partition, each partition's book, the edge's routing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from app.config import load_config
from app.services.partitions import Partitioner, book_url, partition_config
from app.services.routing import CommandRouter
from domain.commands import CancelOrder, CancelWorking, MassCancel, QueryOrder, ReplaceOrder, SubmitOrder
from domain.enums import OrdType, Side
from domain.ids import Account, ClOrdId, SessionKey, Symbol
from fixgw.errors import ConfigError
from tests.conftest import ROOT

S1 = SessionKey("FIX.4.4:FIXGW->CLIENT1")


def _settings(tmp_path: Path, extra: str, url: str = "sqlite:///var/book-{partition}.db") -> Path:
    path = tmp_path / "fixgw.toml"
    text = (ROOT / "fixgw.toml").read_text().replace('url = "sqlite:///var/fixgw.db"', f'url = "{url}"')
    path.write_text(text + extra)
    return path


def _submit(cl: str, account: str) -> SubmitOrder:
    return SubmitOrder(
        session=S1,
        cl_ord_id=ClOrdId(cl),
        account=Account(account),
        symbol=Symbol("MSFT"),
        side=Side.BUY,
        ord_type=OrdType.LIMIT,
        order_qty=Decimal(10),
        price=Decimal(100),
        ts_received_ns=1,
    )


def _cancel(cl: str, orig: str) -> CancelOrder:
    return CancelOrder(
        session=S1,
        cl_ord_id=ClOrdId(cl),
        orig_cl_ord_id=ClOrdId(orig),
        symbol=Symbol("MSFT"),
        side=Side.BUY,
        ts_received_ns=2,
    )


def test_partitioner_when_account_pinned_then_its_partition_else_a_stable_hash() -> None:
    partitions = Partitioner(4, {"ACCT1": 3})
    assert partitions("ACCT1") == "3"
    assert partitions("ACCT2") == Partitioner(4)("ACCT2")  # the same in every process
    assert {partitions(f"A{i}") for i in range(100)} == {"0", "1", "2", "3"}
    assert Partitioner(1)("anything") == "0"


def test_settings_when_partitions_then_each_its_own_book(tmp_path: Path) -> None:
    config = load_config(_settings(tmp_path, '\n[deployment]\nmode = "services"\npartitions = 2\n'))
    assert book_url(config, "1").endswith("/var/book-1.db")
    assert partition_config(config, "0").database_url().endswith("/var/book-0.db")


@pytest.mark.parametrize(
    ("extra", "url", "said"),
    [
        ("partitions = 2\n", "sqlite:///var/fixgw.db", "put {partition} in [database] url"),
        ("partitions = 2\naccounts = { ACCT1 = 2 }\n", "sqlite:///b{partition}.db", "deployment.accounts"),
    ],
)
def test_settings_when_partitions_do_not_fit_then_refused(tmp_path: Path, extra: str, url: str, said: str) -> None:
    with pytest.raises(ConfigError) as refused:
        config = load_config(_settings(tmp_path, '\n[deployment]\nmode = "services"\n' + extra, url))
        book_url(config, "0")
    assert said in str(refused.value)


def test_router_when_cancel_or_query_then_the_partition_its_order_went_to() -> None:
    router = CommandRouter(Partitioner(2, {"ACCT1": 0, "ACCT2": 1}), {"CLIENT1": "ACCT1"})
    assert router.route([_submit("N1", "ACCT2")], S1) == ("1",)
    assert router.route([_cancel("C1", "N1")], S1) == ("1",)
    query = QueryOrder(session=S1, cl_ord_id=ClOrdId("N1"), order_id=None, symbol=Symbol("MSFT"), side=Side.BUY,
                       ts_received_ns=3)  # fmt: skip
    assert router.route([query], S1) == ("1",)
    replace = ReplaceOrder(
        session=S1,
        cl_ord_id=ClOrdId("R1"),
        orig_cl_ord_id=ClOrdId("C1"),
        account=Account("ACCT2"),
        symbol=Symbol("MSFT"),
        side=Side.BUY,
        ord_type=OrdType.LIMIT,
        order_qty=Decimal(5),
        price=Decimal(100),
        ts_received_ns=4,
    )
    assert router.route([replace], S1) == ("1",)
    assert router.route([_cancel("C2", "R1")], S1) == ("1",)


def test_router_when_learned_from_the_books_then_a_cancel_follows_an_order_routed_before_the_restart() -> None:
    router = CommandRouter(Partitioner(2, {"ACCT1": 0, "ACCT2": 1}), {"CLIENT1": "ACCT1"})
    router.learn({(S1, "N1"): "1"})
    assert router.route([_cancel("C1", "N1")], S1) == ("1",)
    assert router.route([_cancel("C2", "OTHER")], S1) == ("0",)  # not learned: the default account's partition


def test_router_when_order_unknown_or_no_order_then_the_sessions_default_account() -> None:
    router = CommandRouter(Partitioner(2, {"ACCT1": 0, "ACCT2": 1}), {"CLIENT1": "ACCT2"})
    assert router.route([_cancel("C1", "NEVER")], S1) == ("1",)
    mass = MassCancel(session=S1, cl_ord_id=ClOrdId("M1"), request_type="7", symbol=None, ts_received_ns=5)
    assert router.route([mass], S1) == ("1",)
    assert router.route([], S1) == ("1",)


def test_router_when_cancel_on_disconnect_then_every_partition() -> None:
    router = CommandRouter(Partitioner(3), {})
    assert router.route([CancelWorking(client="CLIENT1", reason="disconnect")], S1) == ("0", "1", "2")
