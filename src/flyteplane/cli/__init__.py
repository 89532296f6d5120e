"""The ``flyteplane`` command."""
