"""What the book of record can hold: the FIX edge refuses anything beyond, so no value a database would refuse
ever reaches SQL (issue 12: one such value wedged the journal for every session).

The schema (oms.store.schema) sizes its columns from these, so the edge and the tables cannot drift apart.
"""

from typing import Final

ID_LENGTH: Final = 128
"""ClOrdID (11), OrigClOrdID (41), OrderID (37), ExecID (17): at most this many characters."""
NAME_LENGTH: Final = 64
"""Account (1), Symbol (55): at most this many characters."""
MONEY_PRECISION: Final = 38
MONEY_SCALE: Final = 12
"""Prices, quantities and amounts are NUMERIC(38, 12): 26 digits before the point, 12 after."""
MONEY_INTEGER_DIGITS: Final = MONEY_PRECISION - MONEY_SCALE
