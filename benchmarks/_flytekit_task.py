"""The task whose serialized spec the benchmarks register: a real flytekit ``@task`` (needs flytekit, dev only)."""

from flytekit import Resources, task


@task(requests=Resources(cpu="1", mem="500Mi"), retries=2, cache=True, cache_version="1")
def bench_task(a: int, b: str, c: float = 1.5) -> str:
    """A realistic container task: three inputs, one output, resources, retries and caching."""
    return f"{a}{b}{c}"
