"""Credentials and the token cache: expiry windows, 0600 files, keyring use and the broken-keyring fallback."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
import sys
import time

import keyring
import pytest

from flyteplane.clients import raw
from flyteplane.clients.auth.credentials import Credentials, jwt_expiry
from flyteplane.clients.auth.token_cache import (
    DefaultTokenCache,
    FileTokenCache,
    cache_dir,
    cache_key,
    usable_keyring,
)
from tests.clients.auth_support import LockedKeyring, MemoryKeyring, isolate_home

ENDPOINT = "admin.example.com:443"


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    yield from isolate_home(tmp_path, monkeypatch)


def _creds(token: str = "access-SECRET-1", lifetime: float = 3600.0) -> Credentials:
    now = time.time()
    return Credentials(token, "refresh-SECRET-1", now + lifetime, now, "Pkce", "flytectl")


def _jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


# -- Credentials ---------------------------------------------------------------------------------------------
def test_refresh_window_is_60s_for_long_tokens_and_10_percent_for_short_ones():
    hour = Credentials("t", issued_at=0.0, expires_at=3600.0)
    assert not hour.needs_refresh(now=3600.0 - 61)
    assert hour.needs_refresh(now=3600.0 - 60)
    short = Credentials("t", issued_at=0.0, expires_at=30.0)
    assert not short.needs_refresh(now=26.0)  # 60 s would mean "always refresh"
    assert short.needs_refresh(now=27.0)
    assert not Credentials("t").needs_refresh()  # unknown expiry: the server decides


def test_credentials_repr_and_str_hide_tokens():
    creds = _creds()
    for text in (repr(creds), str(creds)):
        assert "SECRET" not in text
        assert "Pkce" in text


def test_expiry_comes_from_expires_in_else_from_a_jwt_exp():
    body = {"access_token": "opaque", "expires_in": 120}
    creds = Credentials.from_token_response(body, flow="ClientSecret", client_id="c")
    assert creds.expires_in() == pytest.approx(120, abs=2)
    token = _jwt({"exp": 2_000_000_000})
    assert jwt_expiry(token) == 2_000_000_000
    assert Credentials.from_token_response({"access_token": token}, flow="x", client_id=None).expires_at == 2e9
    assert jwt_expiry("not-a-jwt") is None
    assert jwt_expiry("a.!!!.c") is None


def test_a_refresh_answer_without_refresh_token_keeps_the_old_one():
    old = _creds()
    new = Credentials.from_token_response({"access_token": "n"}, flow="Pkce", client_id="c", previous=old)
    assert new.refresh_token == old.refresh_token


def test_damaged_cache_content_is_ignored():
    for text in ("", "{", "[]", '{"version": 2, "access_token": "x"}', '{"version": 1}'):
        assert Credentials.from_json(text) is None
    creds = _creds()
    assert Credentials.from_json(creds.to_json()) == creds


# -- file cache ----------------------------------------------------------------------------------------------
def test_file_cache_is_0600_in_a_0700_directory(tmp_path):
    cache = FileTokenCache()
    creds = _creds()
    cache.store(ENDPOINT, creds)
    path = cache_dir() / f"{cache_key(ENDPOINT)}.json"
    assert path == tmp_path / ".flyteplane" / "tokens" / f"{cache_key(ENDPOINT)}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert cache.load(ENDPOINT) == creds
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind
    cache.delete(ENDPOINT)
    assert cache.load(ENDPOINT) is None


def test_a_widened_cache_file_is_narrowed_again(caplog):
    cache = FileTokenCache()
    cache.store(ENDPOINT, _creds())
    path = cache.path(ENDPOINT)
    os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING):
        assert cache.load(ENDPOINT) is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "SECRET" not in caplog.text


def test_the_raw_client_sees_the_cache_without_importing_it():
    assert not raw._has_cached_token(ENDPOINT)
    FileTokenCache().store(ENDPOINT, _creds())
    assert raw._has_cached_token(ENDPOINT)
    assert not raw._has_cached_token("other:1")


# -- keyring ---------------------------------------------------------------------------------------------------
def test_fail_backend_and_missing_package_mean_no_keyring(monkeypatch):
    assert usable_keyring() is None  # the fixture installs keyring's "fail" backend
    keyring.set_keyring(MemoryKeyring())
    assert isinstance(usable_keyring(), MemoryKeyring)
    monkeypatch.setitem(sys.modules, "keyring", None)  # as if the extra were not installed
    assert usable_keyring() is None
    cache = DefaultTokenCache()
    cache.store(ENDPOINT, _creds())
    assert cache.file.path(ENDPOINT).exists()


def test_a_usable_keyring_holds_the_token_and_a_marker_tells_the_client():
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    cache = DefaultTokenCache()
    FileTokenCache().store(ENDPOINT, _creds("stale-file-token"))  # from a time the keyring was unusable
    cache.store(ENDPOINT, _creds())
    assert cache.describe().startswith("keyring")
    assert json.loads(backend.items[("flyteplane", ENDPOINT)])["access_token"] == "access-SECRET-1"
    assert not cache.file.path(ENDPOINT).exists()  # the older copy on disk is gone
    marker = cache_dir() / f"{cache_key(ENDPOINT)}.keyring"
    assert marker.exists() and "SECRET" not in marker.read_text()
    assert raw._has_cached_token(ENDPOINT)
    assert DefaultTokenCache().load(ENDPOINT).access_token == "access-SECRET-1"
    cache.delete(ENDPOINT)
    assert backend.items == {} and not marker.exists()
    assert not raw._has_cached_token(ENDPOINT)


def test_a_locked_keyring_falls_back_to_the_file_without_raising(caplog):
    backend = LockedKeyring()
    keyring.set_keyring(backend)
    cache = DefaultTokenCache()
    creds = _creds()
    with caplog.at_level(logging.DEBUG, logger="flyteplane"):
        assert cache.load(ENDPOINT) is None  # the read fails: no token, no exception
        cache.store(ENDPOINT, creds)
        assert cache.load(ENDPOINT) == creds
        cache.delete(ENDPOINT)
    assert backend.calls == 1  # after the first failure the keyring is left alone
    assert "KeyringLocked" in caplog.text
    assert "SECRET" not in caplog.text and "Prompt dismissed" not in caplog.text


def test_a_keyring_that_fails_only_on_write_falls_back_too():
    class ReadOnly(MemoryKeyring):
        def set_password(self, service, username, password):
            raise keyring.errors.PasswordSetError("nope")

    keyring.set_keyring(ReadOnly())
    cache = DefaultTokenCache()
    cache.store(ENDPOINT, _creds())
    assert cache.file.path(ENDPOINT).exists()
    assert DefaultTokenCache().load(ENDPOINT) is not None


def test_the_newer_of_keyring_and_file_wins():
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    older, newer = _creds("older"), _creds("newer")
    object.__setattr__(older, "issued_at", newer.issued_at - 100)
    backend.set_password("flyteplane", ENDPOINT, older.to_json())
    FileTokenCache().store(ENDPOINT, newer)
    assert DefaultTokenCache().load(ENDPOINT).access_token == "newer"


def test_an_unwritable_home_costs_a_warning_not_an_exception(tmp_path, caplog):
    locked = tmp_path / "ro"
    locked.mkdir(mode=0o500)
    cache = FileTokenCache(locked / "tokens")
    with caplog.at_level(logging.WARNING):
        cache.store(ENDPOINT, _creds())
    if os.geteuid() != 0:  # root writes anyway
        assert "could not cache the token" in caplog.text
    assert "SECRET" not in caplog.text
