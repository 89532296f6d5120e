"""Secrets a task requests, handed to its process as propeller's secrets webhook hands them to a pod.

Propeller's webhook (``flytepropeller/pkg/webhook/k8s_secrets.go``, ``utils.go``) injects each of a task's
``security_context.secrets``:

- ``ENV_VAR``: a variable ``_FSEC_<GROUP>_<KEY>`` (upper-cased) holding the value, and ``FLYTE_SECRETS_ENV_PREFIX``
  set to ``_FSEC_``;
- ``FILE`` and ``ANY``: a file ``<dir>/<group>/<key>`` (lower-cased) holding the value, with
  ``FLYTE_SECRETS_DEFAULT_DIR`` naming the directory and ``FLYTE_SECRETS_FILE_PREFIX`` empty;
- with ``env_var`` set, that variable too: the value (``ENV_VAR``) or the file's path (``FILE``/``ANY``).

flytekit's ``SecretsManager.get(group, key, group_version)`` reads exactly these names, with the group version
between group and key (``_FSEC_<GROUP>_<VERSION>_<KEY>``, ``<dir>/<group>/<version>/<key>``). The webhook's
Kubernetes injector ignores the version, so a versioned request never finds its file there; the local store has no
versions either, but names what it injects as flytekit reads it, so a versioned request works. The directory is
private to the attempt (``0700``, files ``0600``) and removed when it ends.

Propeller lets a pod start without a secret it cannot find (``optional: true``) and the task fails when flytekit
asks for it; here the attempt fails before its process starts, naming the group and key, which says the same
thing sooner.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from flyteidl.core import security_pb2

from flyteplane.admin.secret_store import InvalidSecretName, SecretStore, check_secret_name

__all__ = [
    "ENV_PREFIX",
    "ENV_PREFIX_VAR",
    "FILE_DIR_VAR",
    "FILE_PREFIX_VAR",
    "SecretUnavailable",
    "inject_secrets",
]

ENV_PREFIX = "_FSEC_"
"""Propeller's ``K8sDefaultEnvVarPrefix``, flytekit's default ``SecretsConfig.env_prefix``."""
ENV_PREFIX_VAR = "FLYTE_SECRETS_ENV_PREFIX"
FILE_DIR_VAR = "FLYTE_SECRETS_DEFAULT_DIR"
FILE_PREFIX_VAR = "FLYTE_SECRETS_FILE_PREFIX"

_Secret = security_pb2.Secret


class SecretUnavailable(Exception):
    """A requested secret is not in the store, or cannot be injected."""


def _parts(secret: security_pb2.Secret) -> list[str]:
    return [p for p in (secret.group, secret.group_version, secret.key) if p]


def inject_secrets(
    requests: Iterable[security_pb2.Secret], store: SecretStore | None, mount_dir: Path
) -> dict[str, str]:
    """Write the requested secrets' files under ``mount_dir`` and return the variables to add to the process's
    environment. Raises :class:`SecretUnavailable` naming the first secret that cannot be given."""
    requests = list(requests)
    env: dict[str, str] = {}
    if not requests:
        return env
    for secret in requests:
        if not secret.group or not secret.key:
            # Propeller's Kubernetes injector: "k8s Secrets Webhook require both key and group to be set".
            raise SecretUnavailable(
                f"the task requests a secret without {'a group' if not secret.group else 'a key'} "
                f"(group [{secret.group}], key [{secret.key}]); the embedded admin's secrets need both"
            )
        try:
            for what, name in (("group", secret.group), ("group version", secret.group_version), ("key", secret.key)):
                if name:
                    check_secret_name(what, name)
        except InvalidSecretName as e:
            raise SecretUnavailable(str(e)) from None
        value = store.get(secret.group, secret.key) if store is not None else None
        if value is None:
            where = (
                "set it with `flyteplane secrets set GROUP KEY`"
                if store is not None
                else "this admin keeps no secrets (it has no state directory)"
            )
            raise SecretUnavailable(
                f"secret [{secret.group}/{secret.key}] requested by the task does not exist: group [{secret.group}], "
                f"key [{secret.key}]; {where}"
            )
        if secret.mount_requirement == _Secret.ENV_VAR:
            text = value.decode(errors="replace")
            env[(ENV_PREFIX + "_".join(_parts(secret))).upper()] = text
            env[ENV_PREFIX_VAR] = ENV_PREFIX
            if secret.env_var:
                env[secret.env_var] = text
        elif secret.mount_requirement in (_Secret.FILE, _Secret.ANY):
            path = mount_dir.joinpath(*(p.lower() for p in _parts(secret)))
            _write_private(mount_dir, path, value)
            env[FILE_DIR_VAR] = str(mount_dir)
            env[FILE_PREFIX_VAR] = ""
            if secret.env_var:
                env[secret.env_var] = str(path)
        else:
            raise SecretUnavailable(
                f"unrecognized mount requirement [{secret.mount_requirement}] for secret [{secret.group}/{secret.key}]"
            )
    return env


def _write_private(root: Path, path: Path, value: bytes) -> None:
    current = root
    current.mkdir(mode=0o700, parents=True, exist_ok=True)
    current.chmod(0o700)
    for part in path.parent.relative_to(root).parts:
        current = current / part
        current.mkdir(mode=0o700, exist_ok=True)
        current.chmod(0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(value)
    os.chmod(path, 0o600)
