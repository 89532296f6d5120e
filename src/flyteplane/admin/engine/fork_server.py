"""The fork server: a Python process of one task environment that has imported flytekit's task entrypoints (and no
user code), and forks one child per task attempt (:mod:`.warm_processes` is the engine's side).

This file is run as a program by the *task's* interpreter (``python -c <this source> <fd>``), which may be another
virtual environment than the admin's: it imports nothing of flyteplane, only the standard library and flytekit.

**Why a child looks like a cold start.** A pod's container starts a fresh interpreter that runs a console script
(``pyflyte-execute``, ``pyflyte-map-execute``) with the container's argv, environment and working directory. A
child here starts from a process that has already imported flytekit, then puts itself in that same position before
the script's code runs:

* its own session and process group (``setsid``), so the engine can kill the whole group;
* stdin ``/dev/null``, stdout and stderr the pipes the engine handed over (to the attempt's log);
* the attempt's working directory; ``os.environ`` replaced entirely by the attempt's environment (``tempfile``
  forgets the directory it cached, so the attempt's own ``TMPDIR`` counts);
* ``sys.path`` as a fresh interpreter computes it for that environment: the script's directory, the attempt's
  ``PYTHONPATH`` (absolute, as ``site`` makes them), then the interpreter's own paths (stdlib, site-packages and
  their ``.pth`` entries, which the server computed at its start with the same ``HOME`` and ``PYTHON*`` settings);
  import caches are dropped, so the attempt's directories are read afresh;
* ``sys.argv`` / ``sys.orig_argv`` / ``__main__`` those of the script, which then runs as the interpreter would run
  it; its exit code, a ``SystemExit`` or an uncaught exception end the child as they end an interpreter (non-daemon
  threads joined, ``atexit`` handlers run, streams flushed).

The server never imports user modules: its ``sys.path`` holds no user directory. Nor does it touch a module
imported lazily (flytekit's pandas and pyarrow): a child finds it still lazy, as a cold start does. Event loops that
imported modules created (flytekit's local connector loop) get a selector and a self-pipe of their own in each
child, so no child shares an epoll set with the server or a sibling. The server is single-threaded (forking a
threaded process is unsafe): it refuses to serve if an import started a thread.

**Protocol.** One ``AF_UNIX``/``SOCK_SEQPACKET`` socket (fd given as argv[1]) carries the start report (a JSON
object) and then requests: a JSON object with three file descriptors (a reply socket, stdout, stderr). The server
forks, and on the reply socket answers ``{"pid": N}`` once the child leads its own session, then ``{"status": S}``
(the raw wait status) when it ends. EOF on the control socket (the admin exited) ends the server.
"""

from __future__ import annotations

import array
import gc
import json
import os
import select
import socket
import sys
import threading
from typing import Any

_MAX_REQUEST = 4 * 1024 * 1024
_ENTRYPOINT_MODULES = ("flytekit", "flytekit.bin.entrypoint")
# What an entrypoint imports while it runs on this admin, if the environment has it: flytekit reaches the raw output
# prefix (s3://<bucket>/data) through s3fs, whose import (botocore, aiobotocore) costs ~0.25 s of CPU per attempt.
_RUNTIME_MODULES = ("s3fs",)


def _fill_caches() -> None:
    """Do once here what every attempt's first steps compute the same way from the same imports, so that no child
    repeats it: flytekit's type engine imports its optional transformers for what is imported (it checks again on
    every lookup, so a child that imports more still gets theirs), and ``docstring_parser`` (which flytekit runs
    on every task function) compiles its regular expressions into ``re``'s cache. Both only import modules and
    fill caches; neither creates anything a child could tell apart from its own cold start."""
    try:
        from flytekit.core.type_engine import TypeEngine

        TypeEngine.lazy_import_transformers()
    except Exception:  # an older flytekit without it: the children do it themselves
        pass
    try:
        import docstring_parser

        docstring_parser.parse("Summary.\n\nArgs:\n    x: an input.\n\nReturns:\n    an output.\n")
        docstring_parser.parse("Summary.\n\n:param x: an input.\n:return: an output.\n")
    except Exception:
        pass


def _renewable_loops() -> list[Any]:
    """Event loops created by imports: each child gives them a selector and a self-pipe of its own."""
    if "asyncio" not in sys.modules:
        return []
    import asyncio.selector_events

    kind = asyncio.selector_events.BaseSelectorEventLoop
    # type(), not isinstance(): isinstance() reads ``__class__`` of objects of other types, which makes a lazily
    # imported module (importlib's LazyLoader) run its whole import here (see _top_level_modules).
    loops = [o for o in gc.get_objects() if issubclass(type(o), kind)]
    return [loop for loop in loops if not loop.is_closed() and not loop.is_running()]


def _renew_loop(loop: Any) -> None:
    # Closing the child's copies of the epoll fd and of the self-pipe leaves the server's registrations alone
    # (loop.close() would unregister from the shared epoll set, which the server and every sibling see).
    import selectors

    try:
        loop._selector.close()
        loop._ssock.close()
        loop._csock.close()
        loop._internal_fds -= 1
        loop._selector = selectors.DefaultSelector()
        loop._make_self_pipe()
    except (AttributeError, OSError):
        pass


def _top_level_modules() -> dict[str, bool]:
    """Top-level modules the server holds -> whether each is a namespace package (which a user directory may
    extend, as in a fresh interpreter, instead of shadowing it)."""
    out: dict[str, bool] = {}
    for name, module in list(sys.modules.items()):
        if "." in name or module is None:
            continue
        # Read without the module's own attribute lookup: a lazily imported module (importlib's LazyLoader, which
        # flytekit uses for pandas and pyarrow) runs its whole import on its first attribute access, and a child
        # would then find it imported where a cold start finds it lazy (flytekit then loads more for it).
        attributes = _module_dict(module)
        spec = attributes.get("__spec__")
        out[name] = spec is not None and spec.origin in (None, "namespace") and "__path__" in attributes
    return out


def _module_dict(module: Any) -> dict[str, Any]:
    try:
        attributes = object.__getattribute__(module, "__dict__")
    except AttributeError:
        return {}
    return attributes if isinstance(attributes, dict) else {}


def _site_dirs() -> list[str]:
    return [p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and os.path.isdir(p)]


class _Server:
    def __init__(self, control: socket.socket) -> None:
        self.control = control
        self.base_path = list(sys.path)
        self.loops: list[Any] = []
        self.children: dict[int, tuple[int, socket.socket]] = {}  # pidfd -> (pid, reply socket)
        self.poll = select.poll()

    def start(self) -> None:
        failure = ""
        try:
            for name in _ENTRYPOINT_MODULES:
                __import__(name)
        except BaseException as e:  # a broken environment: the engine starts its tasks cold, saying why
            failure = f"importing {name} failed: {type(e).__name__}: {e}"
        for optional in () if failure else _RUNTIME_MODULES:
            try:
                __import__(optional)
            except Exception:  # not installed, or broken: a task that needs it fails with its own error
                pass
        if not failure:
            _fill_caches()
        if not failure and threading.active_count() > 1:
            names = ", ".join(t.name for t in threading.enumerate() if t is not threading.main_thread())
            failure = f"importing flytekit started threads ({names}); a threaded process cannot be forked safely"
        if not failure and not hasattr(os, "pidfd_open"):
            failure = "this platform has no pidfd_open (Linux 5.3+ is needed to follow the children)"
        report: dict[str, Any] = {"ok": not failure, "error": failure, "pid": os.getpid()}
        if not failure:
            self.loops = _renewable_loops()
            gc.collect()
            gc.freeze()  # children do not copy or scan what the server imported
            report.update(
                python=sys.executable,
                base_path=self.base_path,
                modules=_top_level_modules(),
                site_dirs=_site_dirs(),
                safe_path=bool(getattr(sys.flags, "safe_path", False)),
            )
        self.control.send(json.dumps(report).encode())
        if failure:
            sys.exit(3)

    def serve(self) -> None:
        self.poll.register(self.control.fileno(), select.POLLIN)
        while True:
            for fd, _events in self.poll.poll():
                if fd == self.control.fileno():
                    if not self._accept():
                        return
                else:
                    self._reap(fd)

    def _accept(self) -> bool:
        fds = array.array("i")
        try:
            data, ancdata, _flags, _addr = self.control.recvmsg(_MAX_REQUEST, socket.CMSG_SPACE(3 * fds.itemsize))
        except InterruptedError:
            return True
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(payload[: len(payload) - (len(payload) % fds.itemsize)])
        if not data:
            for fd in fds:
                os.close(fd)
            return False  # the engine closed its end: the admin is gone or stops
        if len(fds) != 3:
            for fd in fds:
                os.close(fd)
            return True
        reply = socket.socket(fileno=fds[0])
        try:
            request = json.loads(data)
            self._fork(request, reply, fds[1], fds[2])
        except Exception as e:  # a request that cannot start: its attempt is told, the server goes on
            try:
                reply.send(json.dumps({"error": f"{type(e).__name__}: {e}"}).encode())
            except OSError:
                pass
            reply.close()
        finally:
            os.close(fds[1])
            os.close(fds[2])
        return True

    def _fork(self, request: dict[str, Any], reply: socket.socket, out_fd: int, err_fd: int) -> None:
        sync_r, sync_w = os.pipe()
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.setsid()
                os.close(sync_r)
                os.close(sync_w)  # tells the server this child leads its own group now
                self._forget_server(reply)
                code = _become(request, out_fd, err_fd, self.base_path, self.loops)
            finally:
                os._exit(code)
        os.close(sync_w)
        while os.read(sync_r, 1):  # EOF once the child called setsid (or died)
            pass
        os.close(sync_r)
        pidfd = os.pidfd_open(pid)
        self.children[pidfd] = (pid, reply)
        self.poll.register(pidfd, select.POLLIN)
        try:
            reply.send(json.dumps({"pid": pid}).encode())
        except OSError:
            pass  # the attempt gave up waiting; the child is still followed and reaped

    def _forget_server(self, reply: socket.socket) -> None:
        """In a child: close the server's sockets and descriptors (the child's copies only)."""
        self.control.close()
        for pidfd, (_pid, other) in self.children.items():
            os.close(pidfd)
            other.close()
        self.children.clear()
        reply.close()

    def _reap(self, pidfd: int) -> None:
        pid, reply = self.children.pop(pidfd)
        self.poll.unregister(pidfd)
        os.close(pidfd)
        _, status = os.waitpid(pid, 0)
        try:
            reply.send(json.dumps({"status": status}).encode())
        except OSError:
            pass
        reply.close()


def _become(request: dict[str, Any], out_fd: int, err_fd: int, base_path: list[str], loops: list[Any]) -> int:
    """Turn this freshly forked child into the attempt's process and run its script; return the exit code."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    os.close(out_fd)
    os.close(err_fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    if "tempfile" in sys.modules:  # computed again from this environment's TMPDIR on first use, as at a cold start
        setattr(sys.modules["tempfile"], "tempdir", None)  # noqa: B010 - a module attribute typeshed does not declare
    for loop in loops:
        _renew_loop(loop)
    script: str = request["script"]
    argv: list[str] = [script, *request["argv"][1:]]
    sys.path[:] = _fresh_path(script, os.environ.get("PYTHONPATH", ""), base_path)
    sys.path_importer_cache.clear()
    import importlib

    importlib.invalidate_caches()
    sys.executable = request.get("interpreter") or sys.executable  # the script's #! line, as the kernel runs it
    sys.argv = argv
    sys.orig_argv = [sys.executable, *argv]
    return _run_script(script)


def _fresh_path(script: str, pythonpath: str, base_path: list[str]) -> list[str]:
    """``sys.path`` as a fresh interpreter running ``script`` computes it (the server's ``base_path`` minus the
    ``-c`` entry it started with)."""
    entries: list[str] = []
    if not getattr(sys.flags, "safe_path", False):
        entries.append(os.path.dirname(os.path.realpath(script)))
    entries += [os.path.abspath(p) for p in pythonpath.split(os.pathsep) if p]
    entries += base_path
    seen: set[str] = set()
    out = []
    for entry in entries:  # site.removeduppaths: the first of equal entries stays
        key = os.path.normcase(entry)
        if key not in seen:
            seen.add(key)
            out.append(entry)
    return out


def _run_script(path: str) -> int:
    import builtins
    import importlib.machinery
    import types

    main = types.ModuleType("__main__")
    main.__dict__.update(
        __file__=path,
        __builtins__=builtins,
        __loader__=importlib.machinery.SourceFileLoader("__main__", path),
        __spec__=None,
        __cached__=None,
    )
    sys.modules["__main__"] = main
    code = 0
    try:
        with open(path, "rb") as f:
            source = f.read()
        exec(compile(source, path, "exec"), main.__dict__)
    except SystemExit as e:
        code = _exit_code(e)
    except BaseException:
        kind, value, tb = sys.exc_info()
        assert kind is not None and value is not None
        sys.excepthook(kind, value, tb.tb_next if tb is not None else None)  # without this function's frame
        code = 1
    return _finalize(code)


def _exit_code(e: SystemExit) -> int:
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code & 0xFF
    print(e.code, file=sys.stderr)
    return 1


def _finalize(code: int) -> int:
    """What an interpreter does at exit before the process ends: join non-daemon threads, run ``atexit``, flush."""
    import atexit

    try:
        threading._shutdown()  # type: ignore[attr-defined]
    except BaseException:
        pass
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            code = code or 120  # Python's exit code when stdout cannot be flushed
    return code


def main() -> None:
    """Serve on the control socket whose descriptor is ``sys.argv[1]``."""
    if sys.path and sys.path[0] == "":
        del sys.path[0]  # the -c entry: no user directory is ever on the server's path
    control = socket.socket(fileno=int(sys.argv[1]))
    server = _Server(control)
    server.start()
    server.serve()


if __name__ == "__main__":
    main()
