"""The environment a task process starts with, and the Python that runs it.

**A clean environment.** A pod's container sees its image's variables, the container's ``env`` and what propeller
adds (``FLYTE_INTERNAL_*``, secrets); never the variables of propeller or of flyteadmin. Likewise a task process here
does not inherit the admin's environment (its credentials, ``FLYTECTL_CONFIG``, ``AWS_*``, its ``PYTHONPATH``). It
starts from what a process needs to run on this machine (:data:`KEPT_VARIABLES`, ``LC_*``), then the image's
variables (an ImageSpec's ``env``), the container's ``env``, Flyte's variables and the run's ``envs``, the variables
the admin's configuration gives every task (``AdminConfig.task_env``: propeller's ``default-env-vars``, which it
appends last), and the requested secrets. ``PATH`` is the admin's, minus the ``bin``
directories of other virtual environments, with the task Python's directory first: ``pyflyte-execute`` must be the
task environment's, never one found further along. The proxy variables are kept: the machine's network is the
task's network (a proxy URL with a password in it is passed on too; leave it out of the admin's environment and give
it with ``task_env`` if only some admins' tasks may have it). ``PYTHONPATH`` is only what the configuration names
(``task_pythonpath``), then the container's.

**The task's Python.** An image a task names maps to a Python (``AdminConfig.task_images``, ``flyteplane sandbox
--image NAME=PATH``); an image of ``flyteplane``'s ImageSpec builder becomes a virtual environment built once per
ImageSpec hash (:class:`ImageEnvironments`); any other image runs with the default (``task_python``).

**The working directory.** Each attempt runs in a fresh directory of its own under the state directory. flytekit's
``pyflyte-fast-execute --dest-dir DIR`` unpacks the fast-registered code into ``DIR``, by default ``.`` (``pyflyte
run``) or ``/root`` (``pyflyte register``): in a pod both are the container's own. Here an absolute (or ``~``, or
``..``) destination would be a shared directory of this machine, so it is replaced by ``.``, the attempt's directory
(:func:`confine_dest_dir`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flyteplane.admin.engine.images import IMAGE_ID_VARIABLE
from flyteplane.admin.image_records import IMAGES_DIR, ImageRecord, read_record
from flyteplane.admin.secret_store import SECRETS_DIR, SecretStore

if TYPE_CHECKING:
    from flyteplane.admin.config import AdminConfig

__all__ = [
    "KEPT_VARIABLES",
    "BuildCancelled",
    "EnvironmentUnavailable",
    "ImageEnvironments",
    "TaskEnvironment",
    "base_environment",
    "confine_dest_dir",
    "interpreter_of",
    "layered_venv",
    "task_environment_for",
]

log = logging.getLogger("flyteplane.admin.images")

KEPT_VARIABLES = frozenset(
    {
        "HOME",
        "USER",
        "LOGNAME",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TMPDIR",
        "LD_LIBRARY_PATH",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "http_proxy",
        "https_proxy",
        "no_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
    }
)
"""Variables of the admin's environment a task process keeps (plus ``LC_*``): what a process needs to run here,
none of them a credential of the admin."""

_PIP_TAIL_LINES = 25
_POLL_SECONDS = 0.2


class EnvironmentUnavailable(Exception):
    """The Python a task's image needs cannot be had (a missing interpreter, a failed build)."""


class BuildCancelled(EnvironmentUnavailable):
    """The attempt waiting for (or building) an image's environment was cancelled."""


@functools.lru_cache(maxsize=256)
def _is_venv_bin(directory: str) -> bool:
    # Cached: every attempt filters the admin's whole PATH through this (a stat per entry; a map task's elements
    # did it a thousand times over the same few directories).
    return bool(directory) and (Path(directory).parent / "pyvenv.cfg").is_file()


def base_environment(python: str, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The part of ``environ`` (default: the admin's) a task process keeps, ``PATH`` led by ``python``'s
    directory."""
    environ = os.environ if environ is None else environ
    env = {k: v for k, v in environ.items() if k in KEPT_VARIABLES or k.startswith("LC_")}
    python_dir = str(Path(python).parent)
    rest = [p for p in environ.get("PATH", os.defpath).split(os.pathsep) if p and not _is_venv_bin(p)]
    env["PATH"] = os.pathsep.join(dict.fromkeys([python_dir, *rest]))
    if _is_venv_bin(python_dir):
        env["VIRTUAL_ENV"] = str(Path(python_dir).parent)
    return env


def confine_dest_dir(argv: Sequence[str]) -> tuple[list[str], str | None]:
    """``argv`` with an absolute, ``~`` or ``..`` ``--dest-dir`` of ``pyflyte-fast-execute`` replaced by ``.`` (the
    attempt's own working directory), and a note saying so (None when nothing changed)."""
    out = list(argv)
    if not out or Path(out[0]).name != "pyflyte-fast-execute":
        return out, None
    for i, arg in enumerate(out):
        value = None
        if arg == "--dest-dir" and i + 1 < len(out):
            value, at, prefix = out[i + 1], i + 1, ""
        elif arg.startswith("--dest-dir="):
            value, at, prefix = arg.split("=", 1)[1], i, "--dest-dir="
        if value is None:
            continue
        if value.startswith(("/", "~")) or ".." in Path(value).parts:
            out[at] = prefix + "."
            return out, f"fast-registered code goes to the attempt's own directory, not to [{value}]"
        return out, None
    return out, None


def interpreter_of(path: str) -> str:
    """The interpreter ``path`` names: itself, or ``bin/python`` of a virtual environment directory."""
    p = Path(path).expanduser()
    if p.is_dir():
        p = p / "bin" / "python"
    return str(p)


# -- virtual environments of ImageSpec images ---------------------------------------------------------------------
_LAUNCHERS = r"""
import importlib.metadata as md, os, sys
bin_dir = os.path.dirname(sys.executable)
for ep in md.entry_points(group="console_scripts"):
    path = os.path.join(bin_dir, ep.name)
    if os.path.exists(path) or os.sep in ep.name:
        continue
    with open(path, "w") as f:
        f.write(f"#!{sys.executable}\nimport sys\nfrom importlib.metadata import EntryPoint\n"
                f"sys.exit(EntryPoint({ep.name!r}, {ep.value!r}, 'console_scripts').load()())\n")
    os.chmod(path, 0o755)
"""

_SITE_DIRS = (
    "import json, site, sys; print(json.dumps([p for p in sys.path if p.endswith(('site-packages', 'dist-packages'))]))"
)


def layered_venv(base_python: str, directory: Path, env: Mapping[str, str] | None = None) -> str:
    """Make a virtual environment at ``directory`` layered over ``base_python``'s environment; return its python.

    Its own ``site-packages`` comes first on ``sys.path``, then (through a ``.pth`` calling ``site.addsitedir``, so
    the base's own ``.pth`` files, editable installs among them, count) every ``site-packages`` of the base. This,
    not ``--system-site-packages``, because a venv made from a venv's python would see the *installation's*
    packages, not that venv's: flytekit would be missing. The base's console scripts (``pyflyte-execute``, ...) get
    launchers in the new ``bin`` that run with the new python."""
    import json

    run_env = dict(env if env is not None else os.environ)
    subprocess.run(
        [base_python, "-m", "venv", "--without-pip", str(directory)], check=True, env=run_env, capture_output=True
    )
    python = str(directory / "bin" / "python")
    listed = subprocess.run([base_python, "-c", _SITE_DIRS], check=True, env=run_env, capture_output=True, text=True)
    base_sites = [p for p in json.loads(listed.stdout) if Path(p).is_dir()]
    own = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        env=run_env,
        capture_output=True,
        text=True,
    ).stdout.strip()
    lines = "".join(f"import site; site.addsitedir({p!r})\n" for p in base_sites)
    (Path(own) / "_flyteplane_base.pth").write_text(lines)
    subprocess.run([python, "-c", _LAUNCHERS], check=True, env=run_env, capture_output=True)
    return python


_READY = ".flyteplane-ready"


@dataclass
class ImageEnvironments:
    """The virtual environments of ImageSpec images, under ``<state dir>/images``: built once per ImageSpec hash
    (``venvs/<tag>``), from the records of :mod:`flyteplane.admin.image_records`, with ``pip install``."""

    images_dir: Path
    base_python: str
    progress: Callable[[str], None] = field(default=lambda line: log.info("%s", line))
    _locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False)
    _guard: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, image: str) -> ImageRecord | None:
        """The ImageSpec recorded for ``image``; None if it is not an image of the ``flyteplane`` builder."""
        try:
            return read_record(self.images_dir, image)
        except (OSError, ValueError, TypeError) as e:
            raise EnvironmentUnavailable(f"the record of image [{image}] is unreadable: {e}") from None

    def python_for(self, record: ImageRecord, cancelled: Callable[[], bool] = lambda: False) -> str:
        """The python of ``record``'s environment, built now if it was not yet (a task of that image waits for the
        build). When ``cancelled()`` turns true the wait or the build stops: :class:`BuildCancelled`."""
        try:
            return self._python_for(record, cancelled)
        except OSError as e:
            raise EnvironmentUnavailable(f"cannot build the environment of image [{record.image}]: {e}") from None

    def _python_for(self, record: ImageRecord, cancelled: Callable[[], bool]) -> str:
        tag = "".join(c if c.isalnum() or c in "_-." else "_" for c in record.tag) or "untagged"
        venv = self.images_dir / "venvs" / tag
        with self._guard:
            lock = self._locks.setdefault(tag, threading.Lock())
        while not lock.acquire(timeout=_POLL_SECONDS):  # another attempt builds it: wait, unless cancelled
            if cancelled():
                raise BuildCancelled(f"cancelled while the environment of image [{record.image}] was being built")
        try:
            if (venv / _READY).is_file():
                return str(venv / "bin" / "python")
            self._check_python_version(record)
            shutil.rmtree(venv, ignore_errors=True)  # what a build that died left
            venv.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            wanted = [*record.packages, *(["-r requirements.txt"] if record.requirements else [])]
            self.progress(
                f"building the environment of image {record.image} ({', '.join(wanted) or 'no packages'}) in {venv}"
            )
            try:
                python = layered_venv(self.base_python, venv)
            except (OSError, subprocess.CalledProcessError) as e:
                shutil.rmtree(venv, ignore_errors=True)
                detail = getattr(e, "stderr", None) or str(e)
                detail = detail.decode(errors="replace") if isinstance(detail, bytes) else detail
                raise EnvironmentUnavailable(
                    f"cannot make a virtual environment for image [{record.image}] from {self.base_python}: "
                    f"{detail.strip()[-2000:]}"
                ) from None
            try:
                self._install(record, venv, python, cancelled)
            except EnvironmentUnavailable:
                shutil.rmtree(venv, ignore_errors=True)  # the next attempt builds afresh
                self.progress(f"building the environment of image {record.image} failed")
                raise
            (venv / _READY).write_text(record.image + "\n")
            self.progress(f"built the environment of image {record.image}")
            return python
        finally:
            lock.release()

    def _check_python_version(self, record: ImageRecord) -> None:
        if not record.python_version:
            return
        have = subprocess.run(
            [self.base_python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        wanted = record.python_version
        if not (have == wanted or wanted.startswith(have + ".")):
            raise EnvironmentUnavailable(
                f"image [{record.image}] asks for Python {record.python_version}; the sandbox builds environments "
                f"from {self.base_python} (Python {have}): map the image to a Python {record.python_version} with "
                "`flyteplane sandbox --image NAME=PYTHON`"
            )

    def _install(self, record: ImageRecord, venv: Path, python: str, cancelled: Callable[[], bool]) -> None:
        args = [python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input"]
        if record.pip_index:
            args += ["--index-url", record.pip_index]
        for url in record.pip_extra_index_url:
            args += ["--extra-index-url", url]
        if record.pip_extra_args:
            args += shlex.split(record.pip_extra_args)
        if record.requirements:
            requirements = venv / "requirements.txt"
            requirements.write_text(record.requirements)
            args += ["-r", str(requirements)]
        args += list(record.packages)
        if not record.packages and not record.requirements:
            return
        # pip runs with the admin's environment: building an image is the platform's work (its proxy, its pip
        # configuration), not the task's. Its output goes to a file (a pipe would fill while we poll).
        with tempfile.TemporaryFile() as output:
            proc = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=venv,
                start_new_session=True,
            )
            try:
                while proc.poll() is None:
                    if cancelled():
                        raise BuildCancelled(f"cancelled while building the environment of image [{record.image}]")
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(timeout=_POLL_SECONDS)
            finally:
                if proc.poll() is None:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            if proc.returncode != 0:
                output.seek(0)
                lines = output.read().decode(errors="replace").strip().splitlines()[-_PIP_TAIL_LINES:]
                raise EnvironmentUnavailable(
                    f"building the environment of image [{record.image}] failed: pip exited with code "
                    f"{proc.returncode}. Its last lines:\n" + "\n".join(lines)
                )


# -- what one task process gets ------------------------------------------------------------------------------------
@dataclass
class TaskEnvironment:
    """The admin's settings for task processes' environments (built by the engine from ``AdminConfig``)."""

    secrets: SecretStore | None = None
    """Where requested secrets are read (at each attempt's start); None: none can be given."""
    images: Mapping[str, str] = field(default_factory=dict)
    """Image name -> interpreter (``AdminConfig.task_images``)."""
    image_envs: ImageEnvironments | None = None
    """Virtual environments of ImageSpec images; None: ImageSpec images run with the default Python."""
    task_env: Mapping[str, str] = field(default_factory=dict)
    """Variables every task gets (``AdminConfig.task_env``)."""
    environ: Mapping[str, str] | None = None
    """The environment the kept variables come from; None: the admin's ``os.environ``."""

    def python_for(
        self, image: str, default: str, cancelled: Callable[[], bool] = lambda: False
    ) -> tuple[str, dict[str, str]]:
        """The interpreter for a task of ``image`` and the variables its image gives (an ImageSpec's ``env`` and
        ``_F_IMG_ID``); ``default`` when the image is neither mapped nor an ImageSpec image of this sandbox.
        ``cancelled`` stops the wait for an environment being built (:class:`BuildCancelled`)."""
        mapped = self.images.get(image)
        if mapped is not None:
            python = interpreter_of(mapped)
            if not os.access(python, os.X_OK):
                raise EnvironmentUnavailable(
                    f"image [{image}] is mapped to {mapped}, which is not a Python interpreter nor a virtual "
                    "environment (see `flyteplane sandbox --image`)"
                )
            return python, {}
        if self.image_envs is not None and image:
            record = self.image_envs.record(image)
            if record is not None:
                return self.image_envs.python_for(record, cancelled), {**record.env, IMAGE_ID_VARIABLE: record.spec_id}
        return default, {}


def task_environment_for(config: AdminConfig, python: str) -> TaskEnvironment:
    """The task environment ``config`` describes; ``python`` is the default task interpreter, which ImageSpec
    environments are layered over."""
    state_dir = Path(config.state_dir).expanduser() if config.state_dir is not None else None
    secrets_dir = (
        config.secrets_dir
        if config.secrets_dir is not None
        else (state_dir / SECRETS_DIR if state_dir is not None else None)
    )
    return TaskEnvironment(
        secrets=SecretStore(Path(secrets_dir).expanduser()) if secrets_dir is not None else None,
        images=dict(config.task_images),
        image_envs=ImageEnvironments(state_dir / IMAGES_DIR, python) if state_dir is not None else None,
        task_env=dict(config.task_env),
    )
