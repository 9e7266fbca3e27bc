"""The venue simulator: a price-time priority matching engine behind a real FIX acceptor."""
