"""The services deployment's transport: NATS JetStream between the edge and the core (``fixgw serve``).

``transport.nats`` is the only module that imports ``nats`` (an import contract keeps it so); ``transport.subjects``
names every stream and subject once; ``transport.envelope`` is what travels, as msgspec structs of the domain's own
commands and reports. The book of record stays PostgreSQL: a PubAck is transport, never durability.
"""
