"""quickfix sessions: configuration, the Application adapter, acceptor and initiator lifecycle."""
