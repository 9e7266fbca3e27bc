"""The services deployment (``fixgw serve``): the same engines as ``fixgw run``, split at the edge↔core seam over
NATS JetStream (``transport``), with PostgreSQL as the one book of record."""
