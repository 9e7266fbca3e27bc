"""The matching engine: a price-time priority order book and the exchange that runs members' orders through it.

Below both its fronts: the venue simulator (``simulator``, behind a FIX acceptor) and the internal venue
(``ems.venues.internal``, in the gateway's own process).
"""
