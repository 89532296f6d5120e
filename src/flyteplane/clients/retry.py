"""When and how a failed call is tried again.

Only UNAVAILABLE and RESOURCE_EXHAUSTED are retried: they say "not now", not "never". NOT_FOUND,
ALREADY_EXISTS, INVALID_ARGUMENT and every other code are final on the first answer (flytekit retries them
three times, with no pause, and every re-registration costs four RPCs).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = ["RETRYABLE_CODES", "Retry"]

# Names, not grpc.StatusCode members, so that this module imports without grpc.
RETRYABLE_CODES = frozenset({"UNAVAILABLE", "RESOURCE_EXHAUSTED"})


@dataclass(frozen=True)
class Retry:
    """An immutable retry policy: exponential backoff with full jitter, bounded by attempts and total time.

    Attributes:
        attempts: the most calls made in all (1 means no retry).
        initial: the first backoff ceiling in seconds.
        multiplier: how much the ceiling grows per retry.
        maximum: the largest ceiling in seconds.
        deadline: the total time budget in seconds for all attempts and pauses; ``None`` for no budget.
        codes: the status code names that are retried.
    """

    attempts: int = 4
    initial: float = 0.1
    multiplier: float = 2.0
    maximum: float = 5.0
    deadline: float | None = 60.0
    codes: frozenset[str] = field(default=RETRYABLE_CODES)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"Retry.attempts must be at least 1, got {self.attempts}")
        if self.initial < 0 or self.maximum < 0 or self.multiplier < 1:
            raise ValueError("Retry needs initial >= 0, maximum >= 0 and multiplier >= 1")

    def retries(self, code_name: str) -> bool:
        """Whether a call that failed with this code may be tried again."""
        return code_name in self.codes

    def pauses(self) -> Iterator[float]:
        """The pauses before each retry: a uniform draw below a growing ceiling ("full jitter")."""
        ceiling = self.initial
        for _ in range(self.attempts - 1):
            yield random.uniform(0, ceiling)
            ceiling = min(ceiling * self.multiplier, self.maximum)
