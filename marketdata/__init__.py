"""Market data: the live L2 books of every venue and symbol, and the consolidated quotes the gateway reads of them.

Pure: no quickfix, no I/O. The market data session (``fixgw``) feeds it decoded 35=W/35=X; readers on other threads
use ``domain.marketdata.Quotes``.
"""
