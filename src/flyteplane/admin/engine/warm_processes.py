"""Warm task processes: attempts of Python tasks forked from a pre-started interpreter instead of started cold.

A cold attempt of a flytekit task starts a Python that imports flytekit (~1 s here), and a fast-registered one
starts two (``pyflyte-fast-execute`` downloads and unpacks the code, then runs ``pyflyte-execute`` as a new
process). This module keeps, per task environment, a *fork server* (:mod:`.fork_server`): a process of that
environment's interpreter that has imported flytekit's entrypoints and no user code. An attempt whose command is one
of flytekit's entrypoints (:data:`ENTRYPOINTS`) run by that interpreter is a child forked from it, which takes the
attempt's argv, environment, working directory and fresh ``sys.path`` before the entrypoint runs (see
:mod:`.fork_server` for what a child resets). Everything else (raw containers, other commands, scripts of another
interpreter) starts cold, as before.

**Environments.** A server is keyed by the interpreter, the image and the attempt's environment minus what differs
between attempts (:func:`server_environment`): the server starts with that environment, so whatever Python or an
imported module reads at start (``PYTHON*`` settings, ``HOME``, flytekit's logging variables) is what a cold start
of the attempt would read. At most ``max_servers`` run at once (least recently used stops first), and a server
whose interpreter or ``site-packages`` changed since it started (a ``pip install`` in the environment) is replaced.

**Fast-registered code.** ``pyflyte-fast-execute --additional-distribution URL --dest-dir DIR -- CMD`` is done here
for a distribution in the admin's own blob store: its tarball is unpacked once per content digest into a cache,
copied into the attempt's ``DIR`` (what the tarball and its unpacked files leave there), and ``CMD`` runs warm with
the arguments and ``PYTHONPATH`` flytekit's ``fast_execute_task_cmd`` gives it. Any other distribution runs
``pyflyte-fast-execute`` itself in the warm child.

**What stays cold.** A user directory on the attempt's path holding a module the server has imported (a
``click.py`` of the user's) would be shadowed in a fresh interpreter but not in a fork: such an attempt starts cold,
saying why. An environment whose server cannot start (a broken interpreter, no flytekit) runs its attempts cold,
with one warning naming it; the attempts' logs say so too.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

if TYPE_CHECKING:
    from flyteplane.admin.config import AdminConfig

__all__ = [
    "ENTRYPOINTS",
    "WarmPlan",
    "WarmPool",
    "WarmProcess",
    "local_distribution",
    "server_environment",
    "warm_pool_for",
]

log = logging.getLogger("flyteplane.admin.engine")

ENTRYPOINTS = frozenset({"pyflyte-execute", "pyflyte-map-execute", "pyflyte-fast-execute"})
"""flytekit's task entrypoints (its console scripts) that a warm child runs."""
FAST_EXECUTE = "pyflyte-fast-execute"
DEFAULT_MAX_SERVERS = 4
_START_TIMEOUT = 120.0
_SOURCE = Path(__file__).with_name("fork_server.py")
_MESSAGE_BYTES = 1 << 16
_DIST_CACHE_ENTRIES = 64
# Imported by `site` when a fresh interpreter starts, from wherever the path has them (the task's path included).
_STARTUP_MODULES = frozenset({"sitecustomize", "usercustomize"})

# Variables that differ from attempt to attempt (propeller sets them per pod, or they are the run's, secrets, or the
# attempt's own TMPDIR):
# a child gets them, the server does not start with them, so they do not split servers.
_VOLATILE_PREFIXES = ("FLYTE_INTERNAL_", "_FSEC_", "FLYTE_SECRETS_", "FLYTE_CREDENTIALS_", "_F_EE_", "BATCH_JOB_ARRAY")
_VOLATILE = frozenset({"FLYTE_ATTEMPT_NUMBER", "FLYTE_K8S_ARRAY_INDEX", "PYTHONPATH", "TMPDIR"})
# flytekit's loggers choose their format at import by whether this is set (it is, in every attempt).
_EXECUTION_ID = "FLYTE_INTERNAL_EXECUTION_ID"


def server_environment(env: Mapping[str, str], private: Sequence[str] = ()) -> dict[str, str]:
    """The environment a fork server for an attempt with ``env`` starts with: ``env`` without what differs between
    attempts and without ``private`` names (the attempt's secrets), with a stand-in execution id so that what
    flytekit sets up at import is what it sets up in a task."""
    hidden = set(private)
    out = {
        k: v for k, v in env.items() if k not in _VOLATILE and k not in hidden and not k.startswith(_VOLATILE_PREFIXES)
    }
    if _EXECUTION_ID in env:
        out[_EXECUTION_ID] = "fork-server"
    return out


def local_distribution(url: str, blob_file: Callable[[str], Path | None] = lambda _url: None) -> Path | None:
    """The file of this machine behind a fast-registered distribution: ``blob_file``'s answer (the admin's blob
    store, for its ``s3://`` URLs), a ``file://`` URL's, or an absolute path; None for anything else."""
    found = blob_file(url)
    if found is not None:
        return found
    parts = urlsplit(url)
    if parts.scheme == "file":
        return Path(url2pathname(parts.path))
    if not parts.scheme and url.startswith("/"):
        return Path(url)
    return None


def warm_pool_for(config: AdminConfig, root: Path, blob_file: Callable[[str], Path | None]) -> WarmPool | None:
    """The engine's fork servers under ``root`` (None when ``config.warm_processes`` is off); distributions are
    found with :func:`local_distribution` over ``blob_file``."""
    if not config.warm_processes:
        return None
    return WarmPool(root, local_file=lambda url: local_distribution(url, blob_file))


def _interpreter_of_script(path: str) -> str | None:
    """The interpreter a script's ``#!`` line names (absolute, without arguments), else None."""
    try:
        with open(path, "rb") as f:
            first = f.readline(512)
    except OSError:
        return None
    if not first.startswith(b"#!"):
        return None
    parts = first[2:].strip().split()
    if len(parts) != 1 or not parts[0].startswith(b"/"):
        return None  # "/usr/bin/env python", interpreter flags, a shell trampoline: not ours to imitate
    return os.fsdecode(parts[0])


def _same_interpreter(a: str, b: str) -> bool:
    try:
        return os.path.dirname(os.path.abspath(a)) == os.path.dirname(os.path.abspath(b)) and os.path.samefile(a, b)
    except OSError:
        return False


@dataclass(frozen=True)
class WarmPlan:
    """How one attempt starts warm: the script a child runs and with what, and what was prepared for it."""

    key: tuple[str, str, tuple[tuple[str, str], ...]]
    python: str
    image: str
    interpreter: str
    script: str
    argv: list[str]
    env: dict[str, str]
    cwd: str
    server_env: dict[str, str]
    notes: tuple[str, ...] = ()


class WarmProcess:
    """A child of a fork server, as the attempt's supervisor sees a ``subprocess.Popen``: ``pid`` (its process
    group), ``stdout``/``stderr`` (pipes), :meth:`poll` and :meth:`wait`."""

    def __init__(self, pid: int, reply: socket.socket, stdout: IO[bytes], stderr: IO[bytes]) -> None:
        self.pid = pid
        self.stdout = stdout
        self.stderr = stderr
        self.returncode: int | None = None
        self._reply = reply
        self._lock = threading.Lock()

    def poll(self) -> int | None:
        return self._wait(0.0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._wait(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(f"warm attempt {self.pid}", timeout or 0.0)
        return code

    def _wait(self, timeout: float | None) -> int | None:
        with self._lock:
            if self.returncode is not None:
                return self.returncode
            self._reply.settimeout(timeout)
            try:
                data = self._reply.recv(_MESSAGE_BYTES)
            except (TimeoutError, BlockingIOError):
                return None
            except OSError:
                data = b""
            if data:
                status = int(json.loads(data)["status"])
                self.returncode = os.waitstatus_to_exitcode(status)
            else:
                # The server died before telling: make sure nothing of the attempt runs on, and say it was killed.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(self.pid, 9)
                self.returncode = -9
            self._reply.close()
            return self.returncode


class _Server:
    """One fork server process and its control socket."""

    def __init__(self, plan: WarmPlan, log_path: Path) -> None:
        self.key = plan.key
        self.python = plan.python
        self.image = plan.image
        self.log_path = log_path
        self.send_lock = threading.Lock()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.control = ours
        home = Path(tempfile.mkdtemp(prefix="flyteplane-fork-server-"))  # an empty cwd: nothing to import from
        self.home = home
        try:
            with open(log_path, "ab") as out:
                self.proc = subprocess.Popen(
                    [plan.python, "-c", _SOURCE.read_text(), str(theirs.fileno())],
                    env=plan.server_env,
                    cwd=home,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=out,
                    pass_fds=(theirs.fileno(),),
                    start_new_session=True,
                )
        finally:
            theirs.close()
        self.report: dict[str, Any] = {}
        self.stamp: tuple[Any, ...] = ()

    def wait_ready(self, timeout: float) -> str | None:
        """None once the server serves, else why it does not."""
        self.control.settimeout(timeout)
        try:
            data = self.control.recv(_MESSAGE_BYTES * 64)
        except TimeoutError:
            return f"it did not start within {timeout:g}s"
        except OSError as e:
            return f"its control socket failed: {e}"
        if not data:
            self.proc.wait()
            tail = self._log_tail()
            return f"it exited with code {self.proc.returncode}" + (f": {tail}" if tail else "")
        self.report = json.loads(data)
        if not self.report.get("ok"):
            return str(self.report.get("error") or "it refused to serve")
        self.control.settimeout(None)
        self.stamp = _stamp(self.python, self.report.get("site_dirs", []))
        return None

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1][-500:] if lines else ""

    def spawn(self, plan: WarmPlan) -> WarmProcess:
        """Fork a child for ``plan``; raises OSError when the server cannot."""
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        request = {
            "script": plan.script,
            "argv": plan.argv,
            "env": plan.env,
            "cwd": plan.cwd,
            "interpreter": plan.interpreter,
        }
        try:
            with self.send_lock:
                socket.send_fds(self.control, [json.dumps(request).encode()], [theirs.fileno(), out_w, err_w])
        except OSError:
            for fd in (out_r, err_r):
                os.close(fd)
            ours.close()
            raise
        finally:
            theirs.close()
            os.close(out_w)
            os.close(err_w)
        stdout, stderr = os.fdopen(out_r, "rb"), os.fdopen(err_r, "rb")
        ours.settimeout(_START_TIMEOUT)
        try:
            answer = json.loads(ours.recv(_MESSAGE_BYTES) or b"{}")
        except (OSError, ValueError) as e:
            answer = {"error": str(e)}
        if "pid" not in answer:
            ours.close()
            stdout.close()
            stderr.close()
            raise OSError(answer.get("error") or "the fork server ended")
        return WarmProcess(int(answer["pid"]), ours, stdout, stderr)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        self.control.close()  # EOF: the server exits
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, 9)
            self.proc.wait()
        shutil.rmtree(self.home, ignore_errors=True)


def _stamp(python: str, site_dirs: Sequence[str]) -> tuple[Any, ...]:
    """What changes when the environment is changed: the interpreter, ``pyvenv.cfg``, the site-packages folders."""
    out: list[Any] = []
    candidates = [python, os.path.realpath(python), str(Path(python).parent.parent / "pyvenv.cfg"), *site_dirs]
    for path in candidates:
        try:
            st = os.stat(path)
        except OSError:
            out.append(None)
            continue
        out.append((st.st_ino, st.st_mtime_ns, st.st_size))
    return tuple(out)


@dataclass
class _Failed:
    stamp: tuple[Any, ...]
    reason: str


@dataclass
class WarmPool:
    """The fork servers of one engine.

    Args:
        root: where the servers' logs and the cache of unpacked fast-registered code live.
        max_servers: fork servers running at once; the least recently used stops when another must start.
        local_file: the local file behind a distribution URL (the admin's blob store), None if there is none.
    """

    root: Path
    max_servers: int = DEFAULT_MAX_SERVERS
    local_file: Callable[[str], Path | None] = local_distribution
    warm_starts: int = 0
    """Attempts that started as a fork of a server."""
    cold_starts: int = 0
    """Attempts of a flytekit entrypoint that started cold (their environment's server could not serve them)."""
    servers_started: int = 0
    _servers: OrderedDict[tuple[Any, ...], _Server] = field(default_factory=OrderedDict)
    _failed: dict[tuple[Any, ...], _Failed] = field(default_factory=dict)
    _key_locks: dict[tuple[Any, ...], threading.Lock] = field(default_factory=dict)
    _digests: dict[tuple[Any, ...], str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closed: bool = False

    def __post_init__(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    # -- planning ---------------------------------------------------------------------------------------------
    def plan(
        self,
        executable: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        python: str,
        image: str,
        cwd: Path,
        private: Sequence[str] = (),
    ) -> WarmPlan | str | None:
        """How the attempt running ``executable`` (``argv[0]`` found on its PATH) starts warm; a note saying why it
        starts cold when it is a flytekit entrypoint that cannot; None for any other command (cold, as always)."""
        if Path(argv[0]).name not in ENTRYPOINTS:
            return None
        interpreter = _interpreter_of_script(executable)
        if interpreter is None or not _same_interpreter(interpreter, python):
            return None  # a script of another interpreter: a cold start runs it as it is
        env = dict(env)
        server_env = server_environment(env, private)
        key = (python, image, tuple(sorted(server_env.items())))
        plan = WarmPlan(key, python, image, interpreter, executable, list(argv), env, str(cwd), server_env)
        if Path(argv[0]).name == FAST_EXECUTE:
            plan = self._fast(plan)
        return plan

    def _fast(self, plan: WarmPlan) -> WarmPlan:
        """``pyflyte-fast-execute`` done here (see the module docstring), when its distribution is the admin's."""
        parsed = _parse_fast(plan.argv)
        if parsed is None:
            return plan
        distribution, dest_dir, command = parsed
        tarball = self.local_file(distribution)
        if tarball is None or not tarball.is_file() or not distribution.endswith(".tar.gz"):
            return plan
        dest = Path(plan.cwd, os.path.expanduser(dest_dir or "."))
        if not dest.is_dir():
            return plan  # flytekit fails on a missing destination: let it, with its own words
        inner_exe = shutil.which(command[0], path=plan.env.get("PATH", ""))
        if inner_exe is None or Path(command[0]).name not in ENTRYPOINTS - {FAST_EXECUTE}:
            return plan
        interpreter = _interpreter_of_script(inner_exe)
        if interpreter is None or not _same_interpreter(interpreter, plan.python):
            return plan
        try:
            digest = self._unpacked(tarball)
        except (OSError, subprocess.CalledProcessError) as e:
            log.warning("fast-registered code %s could not be unpacked ahead (%s): the task unpacks it", tarball, e)
            return plan
        shutil.copytree(self.root / "dists" / digest, dest, symlinks=True, dirs_exist_ok=True)
        # flytekit's fast_execute_task_cmd: the distribution's arguments before --resolver, its directory last on
        # PYTHONPATH, the given destination (or the working directory) as it was written.
        shown_dest = dest_dir if dest_dir else plan.cwd
        inner: list[str] = []
        for arg in command:
            if arg == "--resolver":
                inner += ["--dynamic-addl-distro", distribution, "--dynamic-dest-dir", shown_dest]
            inner.append(arg)
        env = dict(plan.env)
        resolved = os.path.realpath(dest)
        env["PYTHONPATH"] = env["PYTHONPATH"] + os.pathsep + resolved if "PYTHONPATH" in env else resolved
        note = f"fast-registered code unpacked from the cache of {Path(distribution).name} (sha256 {digest[:12]})"
        return WarmPlan(
            plan.key,
            plan.python,
            plan.image,
            interpreter,
            inner_exe,
            inner,
            env,
            plan.cwd,
            plan.server_env,
            (*plan.notes, note),
        )

    def _unpacked(self, tarball: Path) -> str:
        """The digest of ``tarball``, unpacked (with the tarball beside its files, as flytekit leaves them) under
        ``dists/<digest>``."""
        st = tarball.stat()
        identity = (str(tarball), st.st_ino, st.st_size, st.st_mtime_ns)
        digest = self._digests.get(identity)
        if digest is None:  # each element of a map task would hash the same file again
            sha = hashlib.sha256()
            with open(tarball, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    sha.update(chunk)
            digest = sha.hexdigest()
            with self._lock:
                if len(self._digests) >= 4 * _DIST_CACHE_ENTRIES:
                    self._digests.clear()
                self._digests[identity] = digest
        dists = self.root / "dists"
        target = dists / digest
        if target.is_dir():
            with contextlib.suppress(OSError):
                os.utime(target)
            return digest
        dists.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{digest[:12]}-", dir=dists))
        try:
            shutil.copyfile(tarball, tmp / tarball.name)
            subprocess.run(["tar", "-xf", str(tmp / tarball.name), "-C", str(tmp)], check=True, capture_output=True)
            try:
                os.rename(tmp, target)
            except OSError:
                if not target.is_dir():  # not another attempt's rename winning the race
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self._trim_dists(dists)
        return digest

    def _trim_dists(self, dists: Path) -> None:
        entries = [p for p in dists.iterdir() if p.is_dir() and not p.name.startswith(".")]
        if len(entries) <= _DIST_CACHE_ENTRIES:
            return
        entries.sort(key=lambda p: p.stat().st_mtime)
        for old in entries[: len(entries) - _DIST_CACHE_ENTRIES]:
            shutil.rmtree(old, ignore_errors=True)

    # -- starting -----------------------------------------------------------------------------------------------
    def spawn(self, plan: WarmPlan, cancelled: Callable[[], bool] = lambda: False) -> WarmProcess | str:
        """A child of ``plan``'s server running the attempt; else a note saying why the attempt starts cold."""
        server = self._server(plan)
        if isinstance(server, str):
            with self._lock:
                self.cold_starts += 1
            return server
        shadowed = _shadowed(plan, server.report.get("modules", {}))
        if shadowed:
            with self._lock:
                self.cold_starts += 1
            return (
                f"cold start: [{shadowed[0]}] on the task's path has the name of a module the fork server has "
                "imported, which a fresh interpreter would take from the task's path"
            )
        try:
            process = server.spawn(plan)
        except OSError as e:
            self._drop(server)
            with self._lock:
                self.cold_starts += 1
            return f"cold start: the fork server of {plan.python} could not fork this attempt: {e}"
        with self._lock:
            self.warm_starts += 1
        return process

    def _server(self, plan: WarmPlan) -> _Server | str:
        with self._lock:
            if self._closed:
                return "cold start: the engine is stopping"
            key_lock = self._key_locks.setdefault(plan.key, threading.Lock())
        with key_lock:
            with self._lock:
                server = self._servers.get(plan.key)
                if server is not None:
                    self._servers.move_to_end(plan.key)
            if server is not None:
                if server.alive() and _stamp(server.python, server.report.get("site_dirs", [])) == server.stamp:
                    return server
                log.info("the environment of %s changed or its fork server ended: starting another", plan.python)
                self._drop(server)
            failed = self._failed.get(plan.key)
            probe = _stamp(plan.python, [])
            if failed is not None and failed.stamp == probe:
                return failed.reason
            return self._start(plan, probe)

    def _start(self, plan: WarmPlan, probe: tuple[Any, ...]) -> _Server | str:
        name = hashlib.sha256(repr(plan.key).encode()).hexdigest()[:16]
        server: _Server | None = None
        try:
            server = _Server(plan, self.root / f"fork-server-{name}.log")
        except OSError as e:
            reason = f"cannot start {plan.python}: {e.strerror or e}"
        else:
            reason = server.wait_ready(_START_TIMEOUT) or ""
        where = f"interpreter {plan.python}" + (f", image {plan.image}" if plan.image else "")
        if server is None or reason:
            if server is not None:
                server.stop()
            message = f"cold start: the fork server of {where} cannot start ({reason})"
            log.warning("task attempts of %s start cold: its fork server cannot start (%s)", where, reason)
            self._failed[plan.key] = _Failed(probe, message)
            return message
        self._failed.pop(plan.key, None)
        evicted: list[_Server] = []
        with self._lock:
            if self._closed:  # the engine stopped while this server started
                evicted.append(server)
                self._servers.pop(plan.key, None)
            else:
                self._servers[plan.key] = server
            self.servers_started += 1
            while len(self._servers) > max(1, self.max_servers):
                _, old = self._servers.popitem(last=False)
                evicted.append(old)
        for old in evicted:
            old.stop()
        return "cold start: the engine is stopping" if server in evicted else server

    def _drop(self, server: _Server) -> None:
        with self._lock:
            if self._servers.get(server.key) is server:
                del self._servers[server.key]
        server.stop()

    def servers(self) -> list[dict[str, Any]]:
        """The running servers: interpreter, image, pid (most recently used last)."""
        with self._lock:
            return [{"python": s.python, "image": s.image, "pid": s.proc.pid} for s in self._servers.values()]

    def close(self) -> None:
        """Stop every server (their running children are the attempts', killed by the engine)."""
        with self._lock:
            self._closed = True
            servers = list(self._servers.values())
            self._servers.clear()
        for server in servers:
            server.stop()

    def reopen(self) -> None:
        """Serve again after :meth:`close` (an engine started again)."""
        with self._lock:
            self._closed = False


def _parse_fast(argv: Sequence[str]) -> tuple[str, str | None, list[str]] | None:
    """``(distribution, dest dir, command)`` of the ``pyflyte-fast-execute`` argv flytekit writes; None for any
    other shape."""
    distribution: str | None = None
    dest: str | None = None
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            command = list(argv[i + 1 :])
            return (distribution, dest, command) if distribution and command else None
        name, eq, value = arg.partition("=")
        if name not in ("--additional-distribution", "--dest-dir"):
            return None
        if not eq:
            if i + 1 >= len(argv):
                return None
            value = argv[i + 1]
            i += 1
        if name == "--additional-distribution":
            distribution = value
        else:
            dest = value
        i += 1
    return None


def _shadowed(plan: WarmPlan, modules: Mapping[str, bool]) -> list[str]:
    """Entries of the attempt's path that hold a module the server has imported (not a namespace portion)."""
    found: list[str] = []
    dirs = [os.path.dirname(os.path.realpath(plan.script))]
    dirs += [os.path.join(plan.cwd, p) for p in plan.env.get("PYTHONPATH", "").split(os.pathsep) if p]
    for directory in dirs:
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for entry in names:
            stem = entry.split(".", 1)[0]
            if stem not in modules and stem not in _STARTUP_MODULES:
                continue
            if entry.endswith((".dist-info", ".egg-info", ".pth")):
                continue
            path = os.path.join(directory, entry)
            if os.path.isdir(path):
                # Without __init__.py a directory is at most a namespace portion: it extends a namespace package
                # (whose path is recomputed as sys.path changes) and loses to a module found later on the path.
                if not os.path.exists(os.path.join(path, "__init__.py")):
                    continue
            elif not entry.endswith((".py", ".pyc", ".so")):
                continue
            found.append(path)
    return found
