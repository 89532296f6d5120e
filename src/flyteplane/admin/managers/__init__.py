"""RPC-shaped business rules, one manager per entity: each method is named like the RPC it serves (in snake_case),
takes the request message and returns the response. Managers hold no SQL (:mod:`flyteplane.admin.store`) and
build no other manager (:mod:`flyteplane.admin.wiring` hands them their collaborators)."""
