"""Transaction cost analysis (issue 18): measure every execution against the prices of the moment, score venues,
and feed the scores to routing.

``tca`` reads what the book of record captured at the time (arrival and fill quotes, the mid series); its live side
keeps rolling statistics in memory from fills and mids, never SQL on the order path.
"""
