"""Parsers for the raw values found in environment variables, INI files and YAML files.

Each parser takes whatever the source produced (always ``str`` from the environment and INI files; ``str``,
``bool``, ``int``, ``float`` or ``list`` from YAML) and returns the typed value, or raises ``ValueError`` saying
what was expected. The caller (:class:`~flyteplane.configuration.settings.Setting`) turns that into a
:class:`ConfigurationError` naming the variable or key, so these messages never need to know where a value came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = [
    "ConfigurationError",
    "mask_url_password",
    "parse_bool",
    "parse_duration",
    "parse_int",
    "parse_list",
    "parse_optional_timeout",
    "parse_str",
    "strip_endpoint_scheme",
]


class ConfigurationError(ValueError):
    """A setting from a file or an environment variable could not be used.

    A ``ValueError`` so that code which already guards configuration loading with ``except ValueError`` keeps working.
    The message always names where the bad value came from (the environment variable, or the file and key).
    """


_TRUE = frozenset({"true", "1", "yes", "on", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "off", "n", "f"})


def parse_bool(raw: object) -> bool:
    """A boolean, from a YAML bool, 0/1, or one of true/false/1/0/yes/no/on/off (any case)."""
    if isinstance(raw, bool):
        return raw
    # YAML turns ``insecure: 1`` into an int; only 0 and 1 have an obvious meaning.
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise ValueError("expected a boolean (true/false, 1/0, yes/no, on/off)")


def parse_str(raw: object) -> str:
    """A string; YAML numbers are accepted as their text (``project: 123``)."""
    if isinstance(raw, str):
        return raw.strip()
    # bool is excluded on purpose: YAML 1.1 reads ``yes``/``no``/``on``/``off`` as booleans, and turning that back into
    # "True" would silently change the value the user wrote.
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return str(raw)
    raise ValueError(f"expected a string, got {type(raw).__name__}")


def parse_list(raw: object) -> list[str]:
    """A list of strings: a YAML list, or a comma-separated string (the environment and INI spelling)."""
    if isinstance(raw, str):
        return [part.strip() for part in raw.split(",") if part.strip()]
    if isinstance(raw, (list, tuple)):
        return [parse_str(item) for item in raw]
    raise ValueError(f"expected a list or a comma-separated string, got {type(raw).__name__}")


def parse_int(minimum: int | None = None, *, allow: tuple[int, ...] = ()) -> Callable[[object], int]:
    """Build a parser for integers no smaller than ``minimum``; values in ``allow`` pass regardless (e.g. -1)."""

    def parse(raw: object) -> int:
        value: int | None = None
        if isinstance(raw, int) and not isinstance(raw, bool):
            value = raw
        elif isinstance(raw, float) and raw.is_integer():
            value = int(raw)
        elif isinstance(raw, str):
            try:
                value = int(raw.strip().replace("_", ""))
            except ValueError:
                value = None
        if value is None:
            raise ValueError("expected an integer")
        if value in allow:
            return value
        if minimum is not None and value < minimum:
            raise ValueError(f"expected an integer >= {minimum}")
        return value

    return parse


# Go's time.ParseDuration units (flytectl writes its timeouts this way), in seconds.
_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
# Kept as strings: re compiles (and caches) them on first use, which keeps the cost out of import time.
_GO_PART = r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)"
_PLAIN_NUMBER = r"[+]?(\d+(?:\.\d*)?|\.\d+)"


def parse_duration(raw: object) -> float:
    """A non-negative duration in seconds.

    Accepts a plain number (seconds: ``30``, ``2.5``, ``"30"``) or a Go duration string as flytectl writes it
    (``"15s"``, ``"1m30s"``, ``"500ms"``, ``"1.5h"``, ``"0"``).
    """
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if raw < 0:
            raise ValueError("expected a non-negative duration")
        return float(raw)
    if not isinstance(raw, str):
        raise ValueError("expected a duration such as 30, 15s, 1m30s or 500ms")
    text = raw.strip()
    if re.fullmatch(_PLAIN_NUMBER, text):
        return float(text)
    total = 0.0
    position = 0
    for match in re.finditer(_GO_PART, text):
        # finditer skips characters it cannot match; a gap means junk such as "15x" or "1m 30s".
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if position == 0 or position != len(text):
        raise ValueError("expected a duration such as 30, 15s, 1m30s or 500ms")
    return total


_NO_DEADLINE_WORDS = frozenset({"none", "null", "off", "inf", "infinite", "never"})


def parse_optional_timeout(raw: object) -> float:
    """A per-call deadline in seconds, where ``0`` (or ``none``/``off``/``infinite``) means "no deadline".

    Returns ``0.0`` for "no deadline": ``None`` already means "not set here" to the reader, so the caller maps
    ``0.0`` to ``PlatformConfig.rpc_timeout=None``.
    """
    if isinstance(raw, str) and raw.strip().lower() in _NO_DEADLINE_WORDS:
        return 0.0
    return parse_duration(raw)


_ENDPOINT_SCHEMES = ("dns:///", "passthrough:///")


def strip_endpoint_scheme(endpoint: str) -> str:
    """Drop a gRPC name-resolver prefix (``dns:///``, ``passthrough:///``) that flytectl configs often carry.

    The endpoint is used both as a gRPC target and to build ``https://`` URLs for the OAuth flows; the resolver
    prefix is meaningless (and harmful) in the latter, so it is removed once, here, for every source.
    """
    endpoint = endpoint.strip()
    for scheme in _ENDPOINT_SCHEMES:
        if endpoint.lower().startswith(scheme):
            return endpoint[len(scheme) :]
    return endpoint


def mask_url_password(url: str) -> str:
    """``http://user:secret@proxy:3128`` -> ``http://user:***@proxy:3128``; other URLs unchanged."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    # rpartition: a password may itself contain "@"; the host never does.
    userinfo, at, host = authority.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}{slash}{path}"
