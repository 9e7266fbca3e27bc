"""``fixgw replay``: rebuild a book from FIX log files, report what is wrong in them, verify the book of record."""

from __future__ import annotations

import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from domain.positions import unsigned_zero
from replay.replayer import Integrity, Replayer
from replay.summary import ReplaySummary, msg_type_name
from replay.verify import Verification

EXIT_DIFFERENCES = 1
_PLACES = Decimal("1e-8")
EXIT_UNREADABLE = 2

FilesArgument = Annotated[
    list[Path],
    typer.Argument(
        help="FIX log files of any engine: QuickFIX FileLogs, quickfixgo, QuickFIX/J, log4j, plain dumps with "
        "SOH, | or ^A; files are read in the order given.",
        show_default=False,
    ),
]


def replay(
    files: FilesArgument,
    own_compid: Annotated[
        str | None,
        typer.Option(
            "--own-compid",
            help="Our CompID: messages it sent are outgoing. Only needed when the lines carry no direction "
            "and the file name is not QuickFIX's BEGIN-SENDER-TARGET form.",
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            help="Database URL. Without --verify: write the rebuilt book there (it must be empty). "
            "With --verify: the book of record to check.",
        ),
    ] = None,
    verify: Annotated[
        bool,
        typer.Option("--verify", help="Diff the book of record (--db) against these logs, order by order."),
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary (and diff) as JSON.")] = False,
    integrity: Annotated[
        Integrity,
        typer.Option(help="warn: report bad CheckSum/BodyLength and replay the message; strict: leave it out."),
    ] = Integrity.WARN,
) -> None:
    """Rebuild orders, executions, positions and P&L from FIX logs; report every anomaly.

    Exit code 0: the logs were read (anomalies are reported, never fatal).
    Exit code 1: --verify found a difference between the book and the logs.
    Exit code 2: a file or the database could not be read.

    Examples:

      fixgw replay var/demo/gateway/log/FIX.4.4-FIXGW-CLIENT1.messages.current.log

      fixgw replay --own-compid BROKER --json session.log > summary.json

      fixgw replay --verify --db sqlite:///var/demo/fixgw.db var/demo/gateway/log/*.messages.current.log
    """
    out = Console(width=None if sys.stdout.isatty() else 160)
    err = Console(stderr=True)
    for path in files:
        if not path.is_file() or not os.access(path, os.R_OK):
            _fail(err, f"cannot read {path}: " + ("not a file" if path.exists() else "no such file"))
    if verify and not db:
        _fail(err, "--verify needs --db, the book of record to check")
    replayer = Replayer(own_comp_id=own_compid, integrity=integrity)
    try:
        _replay_files(replayer, files, err)
    except OSError as exc:
        _fail(err, f"cannot read {exc.filename}: {exc.strerror}")
    summary = replayer.summary()
    verification = _verify(err, db, replayer) if verify and db else None
    written = _write(err, db, replayer) if db and not verify else None
    if json_output:
        _print_json(summary, verification)
    else:
        _print_summary(out, summary)
        if written is not None:
            out.print(f"book written to {db}: {written[0]} orders, {written[1]} executions")
        if verification is not None:
            _print_verification(out, verification)
    if verification is not None and not verification.agrees:
        raise typer.Exit(EXIT_DIFFERENCES)


def _fail(err: Console, message: str) -> NoReturn:
    err.print(f"fixgw: error: {message}", highlight=False, markup=False, soft_wrap=True)  # one line, however long
    raise typer.Exit(EXIT_UNREADABLE)


def _replay_files(replayer: Replayer, files: list[Path], err: Console) -> None:
    total = sum(path.stat().st_size for path in files)
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("replaying", total=total)
        done = 0
        for path in files:
            progress.update(task, description=path.name)

            def advance(read: int, base: int = done) -> None:
                progress.update(task, completed=base + read)

            replayer.replay(path, progress=advance)
            done += path.stat().st_size


def _open_book(err: Console, url: str) -> Any:
    """The database to write a replayed book into, its schema brought to the latest migration."""
    from fixgw.errors import GatewayError
    from oms.store.database import open_database

    try:
        return open_database(url)
    except GatewayError as exc:
        _fail(err, str(exc))


def _open_book_of_record(err: Console, url: str) -> Any:
    """The book of record to verify, read-only: it is checked, never migrated nor otherwise written."""
    from fixgw.errors import GatewayError
    from oms.store.database import connect, current_revision, head_revision, redacted

    prefix = "sqlite:///"
    if url.startswith(prefix) and url != prefix + ":memory:" and not Path(url[len(prefix) :]).exists():
        _fail(err, f"no database at {url[len(prefix) :]}")
    try:
        engine = connect(url, read_only=True)
    except GatewayError as exc:
        _fail(err, str(exc))
    at, head = current_revision(engine), head_revision()
    if at == head:
        return engine
    engine.dispose()
    if at is None:
        _fail(err, f"{redacted(url)} is not a fixgw book (no fixgw schema); nothing was changed")
    _fail(
        err,
        f"{redacted(url)} is at schema revision {at}, this fixgw reads {head} "
        "(`fixgw db upgrade` brings an older book to it); nothing was changed",
    )


def _verify(err: Console, url: str, replayer: Replayer) -> Verification:
    from oms.store import repository
    from replay.verify import verify_book

    engine = _open_book_of_record(err, url)
    try:
        return verify_book(repository.load_orders(engine), repository.load_executions(engine), replayer.book)
    finally:
        engine.dispose()


def _write(err: Console, url: str, replayer: Replayer) -> tuple[int, int]:
    from oms.store import repository
    from oms.store.replayed import StoreError, write_rows
    from replay.rows import book_rows

    engine = _open_book(err, url)
    try:
        existing = len(repository.load_orders(engine))
        if existing:
            _fail(err, f"{url} already holds {existing} orders; replay writes into a fresh book")
        order_rows, execution_rows = book_rows(replayer.book)
        write_rows(engine, order_rows, execution_rows)
        return len(order_rows), len(execution_rows)
    except StoreError as exc:
        _fail(err, str(exc))
    finally:
        engine.dispose()


def _print_json(summary: ReplaySummary, verification: Verification | None) -> None:
    import msgspec

    sys.stdout.buffer.write(msgspec.json.encode({"summary": summary, "verification": verification}) + b"\n")


# -- tables ----------------------------------------------------------------------------------------


def _print_summary(out: Console, summary: ReplaySummary) -> None:
    files = Table(title="Files")
    for name in ("file", "messages", "other lines", "prefix", "delimiter", "direction from"):
        files.add_column(name, justify="right" if name in ("messages", "other lines") else "left")
    for f in summary.files:
        kind = "" if f.kind == "messages" else f" ({f.kind})"
        files.add_row(
            f.file + kind,
            str(f.messages),
            str(f.other_lines),
            _counts(f.layouts),
            _counts(f.delimiters),
            _counts(f.direction_sources),
        )
    out.print(files)
    types = Table(title=f"Messages by type ({summary.messages} in all)")
    types.add_column("MsgType (35)")
    types.add_column("messages", justify="right")
    for msg_type, count in summary.messages_by_type.items():
        types.add_row(msg_type_name(msg_type), str(count))
    out.print(types)
    states = Table(title=f"Orders by final state ({summary.orders} orders, {summary.executions} executions)")
    states.add_column("OrdStatus (39)")
    states.add_column("orders", justify="right")
    for state, count in summary.orders_by_state.items():
        states.add_row(state, str(count))
    out.print(states)
    out.print(
        f"open at the end: {summary.open_orders}; most open at once: {summary.peak_open_orders}; "
        f"orders with anomalies: {summary.orders_with_anomalies}"
        + (f"; messages left out (strict): {summary.skipped_messages}" if summary.skipped_messages else "")
    )
    _print_positions(out, summary)
    _print_anomalies(out, summary)


def _print_positions(out: Console, summary: ReplaySummary) -> None:
    if not summary.positions:
        out.print("positions: none (no fills)")
        return
    table = Table(title="Positions (average cost; unrealized P&L at the last fill price)")
    for name in ("session", "account", "symbol", "qty", "avg cost", "realized P&L", "unrealized P&L", "mark"):
        table.add_column(name, justify="left" if name in ("session", "account", "symbol") else "right")
    for p in summary.positions:
        table.add_row(
            p.session,
            p.account or "-",
            p.symbol,
            _num(p.qty),
            _num(p.avg_cost),
            _num(p.realized_pnl),
            _num(p.unrealized_pnl),
            _num(p.mark),
        )
    out.print(table)


def _print_anomalies(out: Console, summary: ReplaySummary) -> None:
    if not summary.anomalies:
        out.print("[green]no anomalies[/green]")
        return
    kinds = Table(title=f"Anomalies ({len(summary.anomalies)})")
    kinds.add_column("kind")
    kinds.add_column("count", justify="right")
    for kind, count in summary.anomalies_by_kind.items():
        kinds.add_row(kind, str(count))
    out.print(kinds)
    for a in summary.anomalies:
        order = f" order {a.order}" if a.order else ""
        seq = f" 34={a.seq_num}" if a.seq_num is not None else ""
        out.print(f"{a.file}:{a.line} {a.kind.value} [35={a.msg_type}{seq}{order}] {a.text}", markup=False)


def _print_verification(out: Console, verification: Verification) -> None:
    checked = f"{verification.orders_checked} orders, {verification.executions_checked} executions"
    if verification.agrees:
        out.print(f"[green]book and logs agree[/green]: {checked} checked ({', '.join(verification.sessions)})")
        return
    table = Table(title=f"Book of record vs logs: {len(verification.differences)} differences ({checked} checked)")
    for name in ("order", "field", "book", "logs"):
        table.add_column(name)
    for d in verification.differences:
        table.add_row(d.order, d.field, d.book, d.logs)
    out.print(table)
    out.print("[red]book and logs disagree[/red]")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{key or '-'} {value}" for key, value in counts.items()) if len(counts) > 1 else "".join(counts)


def _num(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, Decimal):
        if value.as_tuple().exponent < -8:  # type: ignore[operator]
            value = value.quantize(_PLACES)  # an average cost of 1/7s: 8 places are plenty to read
        value = unsigned_zero(value)  # a short marked at its cost, or a loss rounded away, is 0, not -0
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
