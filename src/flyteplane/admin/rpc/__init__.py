"""The gRPC face of the admin: routing each RPC to its one manager method (:mod:`.dispatch`)."""
