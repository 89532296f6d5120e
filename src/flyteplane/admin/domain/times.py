"""Times as the store keeps them (naive UTC datetimes) and as messages carry them (protobuf Timestamps)."""

from __future__ import annotations

import datetime as _dt

from google.protobuf import duration_pb2, timestamp_pb2

from flyteplane.admin.errors import invalid_argument

__all__ = [
    "MAX_SECONDS",
    "MIN_SECONDS",
    "check_timestamp",
    "duration_of",
    "go_duration",
    "naive",
    "timestamp",
    "utcnow",
]

# google.protobuf.Timestamp's documented range, 0001-01-01 to 9999-12-31 (what Go's CheckValid accepts).
MIN_SECONDS, MAX_SECONDS = -62_135_596_800, 253_402_300_799


def utcnow() -> _dt.datetime:
    """Now, as the naive UTC datetime the store keeps."""
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)


def timestamp(value: _dt.datetime) -> timestamp_pb2.Timestamp:
    """A stored naive-UTC datetime as a protobuf Timestamp."""
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(value)
    return ts


def naive(ts: timestamp_pb2.Timestamp) -> _dt.datetime:
    """A protobuf Timestamp as the naive UTC datetime the store keeps (microseconds)."""
    return _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=ts.seconds, microseconds=ts.nanos // 1000)


def check_timestamp(ts: timestamp_pb2.Timestamp, field: str) -> None:
    """A Timestamp inside the documented range (Flyte Admin fails INTERNAL on others; here the field is named)."""
    if not (MIN_SECONDS <= ts.seconds <= MAX_SECONDS and 0 <= ts.nanos < 10**9):
        raise invalid_argument(f"invalid {field}: timestamp out of range")


def duration_of(start: timestamp_pb2.Timestamp, end: timestamp_pb2.Timestamp) -> tuple[int, duration_pb2.Duration]:
    """``end - start`` in nanoseconds (the ``duration`` column) and as a Duration (the closure's)."""
    nanos = (end.seconds - start.seconds) * 10**9 + (end.nanos - start.nanos)
    duration = duration_pb2.Duration()
    duration.FromNanoseconds(nanos)
    return nanos, duration


def go_duration(ns: int) -> str:
    """Go's ``time.Duration.String()``: ``1h0m0s``, ``1.5s``, ``250ms``, ``-2m3s``, ``0s``."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    u = abs(ns)
    if u < 10**9:
        for limit, unit, precision in ((10**3, "ns", 0), (10**6, "µs", 3), (10**9, "ms", 6)):
            if u < limit:
                return f"{sign}{_fraction(u, precision)}{unit}"
    seconds, nanos = divmod(u, 10**9)
    text = f"{_fraction(seconds % 60 * 10**9 + nanos, 9)}s"
    minutes = seconds // 60
    if minutes:
        text = f"{minutes % 60}m{text}"
        hours = minutes // 60
        if hours:
            text = f"{hours}h{text}"
    return sign + text


def _fraction(value: int, precision: int) -> str:
    """``value / 10**precision`` in decimal, trailing zeros (and a bare point) dropped."""
    whole, frac = divmod(value, 10**precision) if precision else (value, 0)
    digits = str(frac).rjust(precision, "0").rstrip("0") if precision else ""
    return f"{whole}.{digits}" if digits else str(whole)
