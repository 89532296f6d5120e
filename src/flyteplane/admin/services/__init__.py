"""Platform services of the embedded admin that run beside the RPCs: the scheduler (:mod:`.scheduler`)."""
