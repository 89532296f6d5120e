"""The value parsers: Go durations, booleans, integers, lists and endpoint prefixes."""

from __future__ import annotations

import pytest

from flyteplane.configuration import parse_duration
from flyteplane.configuration.values import (
    mask_url_password,
    parse_bool,
    parse_int,
    parse_list,
    parse_optional_timeout,
    parse_str,
    strip_endpoint_scheme,
)


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("15s", 15.0),
        ("1m30s", 90.0),
        ("500ms", 0.5),
        ("1h", 3600.0),
        ("1.5h", 5400.0),
        ("2h45m", 9900.0),
        ("1h2m3.5s", 3723.5),
        ("300us", 0.0003),
        ("300µs", 0.0003),  # Go also accepts the micro sign
        ("250ns", 2.5e-7),
        ("0", 0.0),
        ("0s", 0.0),
        (" 10s ", 10.0),
        ("30", 30.0),
        ("2.5", 2.5),
        (30, 30.0),
        (0.25, 0.25),
    ],
)
def test_go_durations_and_plain_seconds(raw, seconds):
    assert parse_duration(raw) == pytest.approx(seconds)


@pytest.mark.parametrize("raw", ["15x", "1m 30s", "-1s", "-5", "", "s", "1s2", "ten seconds", True, None, [1]])
def test_bad_durations(raw):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(raw)


def test_optional_timeout_words_mean_no_deadline():
    for word in ("none", "OFF", "infinite", "0"):
        assert parse_optional_timeout(word) == 0.0
    assert parse_optional_timeout("15s") == 15.0


def test_bool_parser():
    assert parse_bool(True) is True
    assert parse_bool(0) is False
    assert parse_bool(" Yes ") is True
    for bad in ("maybe", 2, "", None, 1.0):
        with pytest.raises(ValueError, match="boolean"):
            parse_bool(bad)


def test_int_parser_bounds():
    non_negative = parse_int(0)
    assert non_negative("3") == 3
    assert non_negative(4) == 4
    assert non_negative(5.0) == 5
    assert non_negative("1_000") == 1000
    for bad in ("abc", "-1", True, 1.5, None):
        with pytest.raises(ValueError, match="integer"):
            non_negative(bad)
    size = parse_int(1, allow=(-1,))
    assert size("-1") == -1
    with pytest.raises(ValueError, match=">= 1"):
        size("0")


def test_list_and_str_parsers():
    assert parse_list("a, b,,c ") == ["a", "b", "c"]
    assert parse_list(["x", 1]) == ["x", "1"]
    assert parse_str(" padded\n") == "padded"
    assert parse_str(123) == "123"
    with pytest.raises(ValueError):
        parse_str(True)  # YAML "yes" must not silently become "True"
    with pytest.raises(ValueError):
        parse_list({"a": 1})


def test_strip_endpoint_scheme_and_mask_url_password():
    assert strip_endpoint_scheme("dns:///h:1") == "h:1"
    assert strip_endpoint_scheme("passthrough:///h") == "h"
    assert strip_endpoint_scheme("h:1") == "h:1"
    assert mask_url_password("http://u:p@ss@proxy:1/x") == "http://u:***@proxy:1/x"
    assert mask_url_password("http://proxy:1") == "http://proxy:1"
    assert mask_url_password("http://user@proxy:1") == "http://user@proxy:1"
