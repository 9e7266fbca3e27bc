"""Positions and P&L live in ``domain.positions`` (risk needs them too); this name stays for existing imports."""

from domain.positions import Position, PositionBook

__all__ = ["Position", "PositionBook"]
