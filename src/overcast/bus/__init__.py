"""The bus: NATS JetStream (streams, consumers, KV, request/reply) and the embedded nats-server.

`connection.Bus` is the connection every service uses; `server.EmbeddedNats` is the single-node
server started when no `nats_url` is configured (ARCHITECTURE decision 6); `on_demand.OnDemandBus`
is how the composition root holds them, so that nothing starts until something uses the bus.
Import each from its module: this package imports nothing, so that the server can hold an
`OnDemandBus` without importing nats-py (~40 ms and ~3 MB at every start).
"""
