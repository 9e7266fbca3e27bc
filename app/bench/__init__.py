"""``fixgw bench``: measure the whole order path with a raw-socket FIX load generator, against a baseline."""
