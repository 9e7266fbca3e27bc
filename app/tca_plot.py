"""``fixgw tca --plot``: markout curves per venue as a PNG (matplotlib's Agg backend: no display needed).

One line per venue: the fill-quantity-weighted markout in bps at each horizon after the fill. Above zero the market
moved our way after we traded; a curve that falls below zero and stays there is adverse selection (we traded with
someone who knew better). A horizon no fill covers yet is left out of its curve.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from fixgw.errors import ConfigError


def draw_markouts(curves: dict[str, list[Decimal | None]], horizons_s: tuple[int, ...], path: Path, title: str) -> None:
    """Draw ``curves`` (per venue, one value per horizon) into ``path``; a file that cannot be written is a
    one-line error."""
    import matplotlib

    matplotlib.use("Agg")  # before pyplot: never a window, works on a server
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(8, 4.5), dpi=110)
    try:
        for venue, values in curves.items():
            points = [(h, float(v)) for h, v in zip(horizons_s, values, strict=True) if v is not None]
            if points:
                axes.plot([h for h, _ in points], [v for _, v in points], marker="o", label=venue)
        axes.axhline(0, color="grey", linewidth=0.8)
        axes.set_xlabel("seconds after the fill")
        axes.set_ylabel("markout, bps (positive: favourable)")
        axes.set_title(title)
        axes.grid(True, alpha=0.3)
        if curves:
            axes.legend(title="venue")
        else:
            axes.text(0.5, 0.5, "no fills to score", ha="center", va="center", transform=axes.transAxes)
        try:
            figure.savefig(path, format="png", bbox_inches="tight")
        except OSError as exc:
            raise ConfigError(f"cannot write the plot to {path}: {exc.strerror}") from None
    finally:
        pyplot.close(figure)
