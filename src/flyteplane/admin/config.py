"""Settings of one embedded admin, and the context its managers share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flyteplane.admin.domain.notifications import NotificationsConfig
from flyteplane.admin.store.db import Store

if TYPE_CHECKING:
    from flyteplane.admin.auth.config import AuthConfig
    from flyteplane.admin.blobs import BlobStore
    from flyteplane.admin.engine.logs import LogStore
    from flyteplane.admin.http import UrlSigner

__all__ = ["DEFAULT_DOMAINS", "S3_SCHEME", "AdminConfig", "AdminContext", "bucket_name_problem"]

DEFAULT_DOMAINS: tuple[str, ...] = ("development", "staging", "production")
S3_SCHEME = "s3://"
# First path segments of the admin's own HTTP routes: a bucket of these names would be shadowed by them.
RESERVED_BUCKETS = frozenset({"data", "logs", "healthcheck", "oauth2", "me"})
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def bucket_name_problem(name: str) -> str | None:
    """Why ``name`` is not a usable bucket name (S3's naming rules, minus the admin's route names), or None."""
    if not _BUCKET_RE.fullmatch(name) or ".." in name:
        return (
            "a bucket name has 3 to 63 lower-case letters, digits, '.' and '-', "
            "and starts and ends with a letter or a digit"
        )
    if name in RESERVED_BUCKETS:
        return f"[{name}] is the name of one of the admin's own HTTP routes"
    return None


@dataclass(frozen=True)
class AdminConfig:
    """What Flyte Admin reads from its config file, for the parts the embedded admin implements."""

    domains: tuple[str, ...] = DEFAULT_DOMAINS
    """Domain ids, system wide (Flyte Admin: ``domains``)."""
    task_type_whitelist: dict[str, tuple[str, ...]] | None = None
    """Task type -> projects allowed to use it; types not listed are allowed everywhere. None: all allowed."""
    seed_projects: tuple[str, ...] = ()
    """Projects registered (if missing) at start, as the Flyte sandbox seeds ``flytesnacks``."""
    max_parallelism: int = 25
    """Server default for ``WORKFLOW_EXECUTION_CONFIG.max_parallelism``."""
    version: str | None = None
    build: str | None = None
    build_time: str | None = None
    """What GetVersion reports; None: this flyteplane's own (:mod:`flyteplane.admin.build_info`)."""
    state_dir: Path | None = None
    """Where the database and blobs live; None keeps everything in memory."""
    storage_prefix: str = "s3://my-s3-bucket"
    """Base of the native URLs the admin hands out: ``s3://<bucket>``, the bucket its S3 endpoint serves
    (:mod:`flyteplane.admin.s3_gateway`). The default is the Flyte sandbox's bucket, so URLs look the same as there."""
    s3_access_key_id: str = "minio"
    s3_secret_access_key: str = "miniostorage"
    """The one credential the S3 endpoint accepts (AWS Signature V4). The defaults are the Flyte sandbox's minio
    credentials, so clients configured for that sandbox (flytekit's ``FLYTE_AWS_*`` / ``storage.connection``
    settings, ``AWS_*`` variables) work unchanged; task processes get them in their environment. Choose others for
    an admin reachable beyond this machine."""
    auth: AuthConfig | None = None
    """Authentication (:mod:`flyteplane.admin.auth`); None: none, as the Flyte sandbox."""
    max_message_bytes: int = 32 * 1024 * 1024
    """Largest gRPC message the admin receives or sends (Flyte Admin: ``server.grpc.maxMessageSizeBytes``); a
    larger request answers RESOURCE_EXHAUSTED before the admin reads it. The default leaves room for large
    registrations and inline literals while bounding what one call can make the admin hold."""

    response_cache_bytes: int = 64 * 1024 * 1024
    """Budget of each cache of registered versions (tasks, workflows), counted in serialized bytes; a version
    larger than a quarter of it is read from the database each time instead of cached."""

    # -- registration limits (Flyte Admin: ``registration.maxWorkflowNodes`` / ``workflowSizeLimit``) -----------
    workflow_node_limit: int | None = None
    """Most user nodes a registered workflow may have; None: no limit, as Flyte Admin's default."""
    workflow_size_limit: int | None = None
    """Most bytes a registered workflow's compiled closure may have; None: no limit, as Flyte Admin's default."""
    max_entity_bytes: int | None = 3 * 1024 * 1024
    """Most bytes a registered task, workflow or launch plan may weigh (its stored closure or launch plan), so that
    reading it back fits in gRPC's default 4 MiB message; None: no limit. Flyte Admin has no such setting."""

    # -- the engine (how executions run on this machine) ---------------------------------------------------------
    task_python: str | None = None
    """Interpreter of the tasks' environment; its directory goes first on the task's ``PATH``. None: the admin's
    own ``sys.executable``, so the installed flytekit's ``pyflyte-execute`` runs the tasks."""
    task_pythonpath: tuple[str, ...] | None = None
    """Extra ``PYTHONPATH`` entries of task processes. None: the admin's working directory, where a task module
    is found as in an image's work dir."""
    task_kill_grace_seconds: float = 2.0
    """Between SIGTERM and SIGKILL when an attempt is killed (terminate, timeout, admin stop)."""
    task_images: tuple[tuple[str, str], ...] = ()
    """``(image name, interpreter or virtual environment directory)`` pairs: a task whose container names that
    image runs with that Python (``flyteplane sandbox --image NAME=PATH``). Other images run with
    :attr:`task_python`, except ImageSpec images of ``flyteplane``'s builder (:mod:`flyteplane.imagespec`), which
    get a virtual environment built in the state directory."""
    task_env: tuple[tuple[str, str], ...] = ()
    """``(name, value)`` variables every task process gets (propeller's ``default-env-vars``): task processes do not
    inherit the admin's environment (:mod:`flyteplane.admin.engine.environments`)."""
    secrets_dir: Path | None = None
    """Where the secrets tasks request are kept (``flyteplane secrets``). None: ``secrets/`` of :attr:`state_dir`;
    without a state directory no secrets can be given."""
    raw_output_prefix: str | None = None
    """Default raw output data prefix of executions that name none. None: ``raw/`` in the admin's blob store."""
    warm_processes: bool = True
    """Start attempts of flytekit's entrypoints (``pyflyte-execute``, ``pyflyte-fast-execute``,
    ``pyflyte-map-execute``) as forks of a pre-started interpreter of their environment, which has imported flytekit
    (:mod:`flyteplane.admin.engine.warm_processes`). False: every attempt starts a fresh interpreter."""

    # -- agents (tasks without a container: sensors, flytekit agents; propeller's ``agentService`` settings) ------
    agent_endpoint: str | None = None
    """The default agent server (``host:port``, propeller's ``defaultAgent``). None: a local ``pyflyte serve
    agent`` of the task environment, started on the first agent task, if :attr:`start_local_agent`."""
    agent_for_task_types: dict[str, str] | None = None
    """Task type -> agent server that runs it (propeller's ``agentForTaskTypes``); such tasks go to that agent even
    when their template has a container."""
    start_local_agent: bool = True
    """Whether the engine may start a local agent server when no :attr:`agent_endpoint` is set."""
    agent_modules: tuple[str, ...] = ()
    """Modules the local agent server imports at start (``--modules``), which register more agents."""
    agent_poll_interval_seconds: float = 1.0
    """Most seconds between two ``GetTask`` calls for a running agent task (the first polls come sooner)."""
    agent_start_timeout_seconds: float = 60.0
    """Seconds the local agent server may take to answer before an agent task fails."""

    # -- platform services -----------------------------------------------------------------------------------------
    scheduler: bool = True
    """Fire the schedules of ACTIVE launch plans, as Flyte's native scheduler (:mod:`flyteplane.admin.services.
    scheduler`). False: schedules are stored and shown, never fired."""
    notifications: NotificationsConfig = field(default_factory=NotificationsConfig)
    """Where ended executions' notifications go (SMTP server, webhooks) and their subject and body templates
    (Flyte Admin: ``notifications``); by default none is configured and each is logged as not delivered."""

    @property
    def storage_bucket(self) -> str:
        """The bucket of :attr:`storage_prefix`."""
        return self.storage_prefix[len(S3_SCHEME) :].rstrip("/")

    def __post_init__(self) -> None:
        if (
            not isinstance(self.max_message_bytes, int)
            or isinstance(self.max_message_bytes, bool)
            or not 1024 <= self.max_message_bytes < 2**31
        ):
            raise ValueError(
                "AdminConfig.max_message_bytes must be an integer from 1024 to 2**31 - 1, "
                f"not {self.max_message_bytes!r}"
            )
        if not isinstance(self.response_cache_bytes, int) or self.response_cache_bytes <= 0:
            raise ValueError(
                f"AdminConfig.response_cache_bytes must be a positive integer, not {self.response_cache_bytes!r}"
            )
        problem = bucket_name_problem(self.storage_prefix[len(S3_SCHEME) :].rstrip("/"))
        if not self.storage_prefix.startswith(S3_SCHEME) or problem:
            raise ValueError(
                f"AdminConfig.storage_prefix must be s3://<bucket>, not {self.storage_prefix!r}"
                + (f" ({problem})" if self.storage_prefix.startswith(S3_SCHEME) else "")
            )
        if not self.s3_access_key_id or not self.s3_secret_access_key:
            raise ValueError("AdminConfig.s3_access_key_id and s3_secret_access_key must not be empty")
        for name in ("workflow_node_limit", "workflow_size_limit", "max_entity_bytes"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
                raise ValueError(f"AdminConfig.{name} must be a positive integer or None, not {value!r}")
        if isinstance(self.task_pythonpath, str):
            raise TypeError("AdminConfig.task_pythonpath must be a tuple of paths, not a string")
        if self.task_pythonpath is not None:
            object.__setattr__(self, "task_pythonpath", tuple(str(p) for p in self.task_pythonpath))
        for name in ("task_images", "task_env"):
            pairs = getattr(self, name)
            if isinstance(pairs, dict):
                pairs = tuple(pairs.items())
            pairs = tuple((str(k), str(v)) for k, v in pairs)
            if any(not k for k, _ in pairs):
                raise ValueError(f"AdminConfig.{name} has an entry with an empty name")
            object.__setattr__(self, name, pairs)
        if isinstance(self.agent_modules, str):
            raise TypeError("AdminConfig.agent_modules must be a tuple of module names, not a string")
        object.__setattr__(self, "agent_modules", tuple(self.agent_modules))
        for name in ("agent_poll_interval_seconds", "agent_start_timeout_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"AdminConfig.{name} must be more than zero, not {getattr(self, name)!r}")
        if not self.task_kill_grace_seconds >= 0:
            raise ValueError(
                f"AdminConfig.task_kill_grace_seconds must be zero or more, not {self.task_kill_grace_seconds!r}"
            )


@dataclass(frozen=True)
class AdminContext:
    """The infrastructure every manager shares, built once by :func:`flyteplane.admin.wiring.build_context`: the
    database, the settings, the blob store, the URL signer and the task logs. What a manager needs beyond this
    (the event recorder, the engine, another manager's rules) it gets as a constructor argument from
    :mod:`flyteplane.admin.wiring`, so each constructor says what the manager depends on."""

    store: Store
    config: AdminConfig
    blobs: BlobStore
    signer: UrlSigner
    logs: LogStore
