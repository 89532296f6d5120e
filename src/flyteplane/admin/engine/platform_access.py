"""How a task process reaches the admin that runs it: what flytekit's ``Config.auto()`` reads from the environment.

An eager task (``@eager``) is its own propeller: from inside its process, flytekit's ``FlyteRemote`` creates and
watches one execution per awaited entity (``EagerAsyncPythonFunctionTask.execute`` builds it through
``FlytekitPlugin.get_remote``, which falls back to ``Config.auto()`` when ``FLYTE_PLATFORM_URL`` is set). On a Flyte
cluster the deployment provides that environment; here the engine does, for every task (any task may use
``FlyteRemote``):

* ``FLYTE_PLATFORM_URL`` (the admin's gRPC ``host:port``) and ``FLYTE_PLATFORM_INSECURE`` (plaintext or TLS), with
  ``FLYTE_PLATFORM_CA_CERT_FILE_PATH`` when the admin serves its own certificate;
* with auth on, a client credential, handed over the way Flyte Admin asks for it: the admin adds the secret request
  ``EAGER_DEFAULT`` to every eager task it registers, and the engine serves that request (as a secret manager would
  inject it) with the credential's secret in ``_FSEC_EAGER_DEFAULT``, naming it in
  ``FLYTE_CREDENTIALS_CLIENT_SECRET_ENV_VAR`` and the client in ``FLYTE_CREDENTIALS_CLIENT_ID`` (flytekit then
  authenticates with the client credentials flow). Only tasks that request the secret receive it, and flytekit's
  eager failure handler, which calls the admin to end what a failed eager task left running.

When auth is on and the engine has no credential to give (an external identity provider, or no confidential
client), an eager task that brings none of its own fails at once with :data:`NO_CREDENTIAL_CODE`, saying so, rather
than failing later inside the task with an authentication error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from flyteidl.core import tasks_pb2

__all__ = [
    "EAGER_FAILURE_HANDLER_TYPE",
    "EAGER_SECRET_KEY",
    "NO_CREDENTIAL_CODE",
    "PlatformAccess",
    "TaskCredential",
    "missing_credential",
]

EAGER_SECRET_KEY = "EAGER_DEFAULT"
"""The secret Flyte Admin requests for eager tasks (flyteadmin's ``common.EagerSecretName``)."""
NO_CREDENTIAL_CODE = "EagerCredentialsMissing"
EAGER_FAILURE_HANDLER_TYPE = "eager_failure_handler_task"
"""flytekit's ``EagerFailureHandlerTask``: it lists and terminates the executions an eager task left open."""

# flytekit's SecretsManager: env var "<prefix><GROUP>_<KEY>" (upper case), prefix "_FSEC_" unless
# FLYTE_SECRETS_ENV_PREFIX says otherwise (flytekit.configuration.SecretsConfig).
_SECRETS_PREFIX_VAR = "FLYTE_SECRETS_ENV_PREFIX"
_DEFAULT_SECRETS_PREFIX = "_FSEC_"
# What flytekit's PlatformConfig.auto() reads (LegacyConfigEntry env names: FLYTE_<SECTION>_<OPTION>).
_CREDENTIAL_VARS = (
    "FLYTE_CREDENTIALS_CLIENT_SECRET",
    "FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION",
    "FLYTE_CREDENTIALS_CLIENT_SECRET_ENV_VAR",
    "FLYTE_CREDENTIALS_COMMAND",
)


@dataclass(frozen=True)
class TaskCredential:
    """An OAuth2 client (client credentials grant) tasks may authenticate to the admin as."""

    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class PlatformAccess:
    """What the engine knows about reaching its admin; :meth:`env` turns it into a task's environment.

    Args:
        endpoint: the admin's gRPC ``host:port``; None until it listens (tasks then get no platform settings).
        certificate: the PEM certificate the admin serves with TLS; None for plaintext.
        auth_required: whether the admin asks callers for a token.
        credential: the client tasks requesting :data:`EAGER_SECRET_KEY` authenticate as (None: none to give).
    """

    endpoint: Callable[[], str | None] = lambda: None
    certificate: Callable[[], Path | None] = lambda: None
    auth_required: bool = False
    credential: TaskCredential | None = None

    def defaults(self) -> dict[str, str]:
        """How to reach the admin, for every task (under the task's own env, which may point elsewhere)."""
        endpoint = self.endpoint()
        if not endpoint:
            return {}
        certificate = self.certificate()
        env = {"FLYTE_PLATFORM_URL": endpoint, "FLYTE_PLATFORM_INSECURE": "False" if certificate else "True"}
        if certificate is not None:
            env["FLYTE_PLATFORM_CA_CERT_FILE_PATH"] = str(certificate)
        return env

    def secrets(self, task: tasks_pb2.TaskTemplate, environment: Mapping[str, str]) -> dict[str, str]:
        """The credential, for a task that requests :data:`EAGER_SECRET_KEY` and for flytekit's eager failure
        handler (the failure node of an eager task's workflow form, which terminates what the eager task left
        running); nothing for the others."""
        if self.credential is None or not (requests_eager_secret(task) or task.type == EAGER_FAILURE_HANDLER_TYPE):
            return {}
        variable = environment.get(_SECRETS_PREFIX_VAR, _DEFAULT_SECRETS_PREFIX) + EAGER_SECRET_KEY
        return {
            variable: self.credential.client_secret,
            "FLYTE_CREDENTIALS_CLIENT_ID": self.credential.client_id,
            "FLYTE_CREDENTIALS_CLIENT_SECRET_ENV_VAR": variable,
        }


def requests_eager_secret(task: tasks_pb2.TaskTemplate) -> bool:
    """Whether the task asks for the eager secret (Flyte Admin adds the request to every eager task)."""
    return any(s.key == EAGER_SECRET_KEY and not s.group for s in task.security_context.secrets)


def missing_credential(
    access: PlatformAccess, task: tasks_pb2.TaskTemplate, environment: Mapping[str, str]
) -> str | None:
    """Why an eager task cannot reach the admin, or None: auth is on, the engine has no credential to give, and the
    task's environment (the run's envs, the task's env) brings none of its own."""
    if not task.metadata.is_eager or not access.auth_required or access.credential is not None:
        return None
    if any(environment.get(name) for name in _CREDENTIAL_VARS):
        return None
    return (
        f"eager task [{task.id.name}] launches its sub-executions through the admin, which requires authentication, "
        "and the engine has no client credential to give it: the admin's auth has no confidential client with the "
        "client_credentials grant (or it validates tokens of an external identity provider). Give the execution "
        "the environment variables FLYTE_CREDENTIALS_CLIENT_ID and FLYTE_CREDENTIALS_CLIENT_SECRET (or "
        "FLYTE_CREDENTIALS_CLIENT_SECRET_LOCATION) of a client allowed to call the admin"
    )
