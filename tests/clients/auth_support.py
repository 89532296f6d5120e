"""Test helpers for the client auth tests: a scripted OAuth2 HTTP endpoint, an HTTP proxy, keyring backends.

The scripted endpoint is only for edge cases the real admin cannot be made to produce on demand (``slow_down``,
odd answers, secrets echoed in errors); every flow is also tested end to end against the embedded admin.
"""

from __future__ import annotations

import http.server
import json
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


@contextmanager
def serve(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """Run ``handler`` on a free loopback port; yields ``http://127.0.0.1:PORT``."""
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class FakeOAuth:
    """Answers POSTs from per-path scripts of ``(status, json)``; the last answer of a script repeats.

    ``requests`` records ``(path, headers, form)`` of every request.
    """

    def __init__(self) -> None:
        self.scripts: dict[str, list[tuple[int, Any]]] = {}
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.base = ""

    def answer(self, path: str, *answers: tuple[int, Any]) -> None:
        self.scripts[path] = list(answers)

    def url(self, path: str) -> str:
        return self.base + path

    def forms(self, path: str) -> list[dict[str, str]]:
        return [form for p, _, form in self.requests if p == path]

    @contextmanager
    def running(self) -> Iterator[FakeOAuth]:
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                path = urllib.parse.urlsplit(self.path).path
                fake.requests.append((path, dict(self.headers), form))
                script = fake.scripts.get(path) or [(404, {"error": "not_found"})]
                status, body = script.pop(0) if len(script) > 1 else script[0]
                data = json.dumps(body).encode() if not isinstance(body, bytes) else body
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        with serve(Handler) as base:
            self.base = base
            yield self


@contextmanager
def http_proxy() -> Iterator[tuple[str, list[str]]]:
    """A forwarding HTTP proxy for plain-http targets; yields its URL and the absolute URLs it forwarded."""
    seen: list[str] = []

    class Proxy(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "proxy-connection")}
            request = urllib.request.Request(self.path, data=body, headers=headers, method="POST")
            opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
            try:
                with opener.open(request, timeout=10) as response:
                    status, data = response.status, response.read()
            except urllib.error.HTTPError as e:
                status, data = e.code, e.read()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    with serve(Proxy) as url:
        yield url, seen


class MemoryKeyring(KeyringBackend):
    """A working in-memory keyring backend."""

    # Below the "fail" backend's 0: keyring registers every subclass it sees, and a test backend must never be
    # chosen for anyone who did not install it with set_keyring (flytekit's clients in other tests, say).
    priority = -1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


class LockedKeyring(KeyringBackend):
    """A keyring whose every operation fails, as a locked GNOME keyring does (flyte#4354)."""

    # Below the "fail" backend's 0: keyring registers every subclass it sees, and a test backend must never be
    # chosen for anyone who did not install it with set_keyring (flytekit's clients in other tests, say).
    priority = -1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.calls += 1
        raise KeyringLocked("Prompt dismissed")

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls += 1
        raise KeyringLocked("Prompt dismissed")

    def delete_password(self, service: str, username: str) -> None:
        self.calls += 1
        raise KeyringLocked("Prompt dismissed")


def isolate_home(tmp_path: Any, monkeypatch: Any) -> Iterator[None]:
    """HOME in ``tmp_path`` and the ``fail`` keyring, so no test touches the user's tokens or keyring."""
    import keyring
    from keyring.backends import fail

    monkeypatch.setenv("HOME", str(tmp_path))
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)
