"""Secrets, identities and OAuth2 token requests a task runs with (``flyteidl.core.security``)."""

from __future__ import annotations

from flyteidl.core import security_pb2 as _pb

from flyteplane.models._model import Field, FlyteIdlEntity, IdlEnum

__all__ = ["Identity", "OAuth2Client", "OAuth2TokenRequest", "Secret", "SecurityContext"]


class Secret(FlyteIdlEntity):
    """A secret to inject: ``Secret(group=None, key=None, group_version=None, mount_requirement=ANY, env_var=None)``."""

    class MountType(IdlEnum):
        """How the secret is made available to the container."""

        ANY = 0
        ENV_VAR = 1
        FILE = 2

    _pb_type = _pb.Secret
    group: Field[str] = Field()
    key: Field[str] = Field()
    group_version: Field[str] = Field()
    mount_requirement: Field[Secret.MountType] = Field(enum=MountType)
    env_var: Field[str] = Field()


class OAuth2Client(FlyteIdlEntity):
    """Client credentials: ``OAuth2Client(client_id, client_secret)``; the secret is a :class:`Secret` reference."""

    _pb_type = _pb.OAuth2Client
    client_id: Field[str] = Field()
    client_secret: Field[Secret | None] = Field(model=Secret)


class Identity(FlyteIdlEntity):
    """Who a task runs as.

    ``Identity(iam_role=None, k8s_service_account=None, oauth2_client=None, execution_identity=None)``.
    """

    _pb_type = _pb.Identity
    iam_role: Field[str] = Field()
    k8s_service_account: Field[str] = Field()
    oauth2_client: Field[OAuth2Client | None] = Field(model=OAuth2Client)
    execution_identity: Field[str] = Field()


class OAuth2TokenRequest(FlyteIdlEntity):
    """A token to fetch for the task.

    ``OAuth2TokenRequest(name, client, idp_discovery_endpoint=None, token_endpoint=None, type_=CLIENT_CREDENTIALS)``.
    """

    class Type(IdlEnum):
        """The OAuth2 grant used."""

        CLIENT_CREDENTIALS = 0

    _pb_type = _pb.OAuth2TokenRequest
    name: Field[str] = Field()
    client: Field[OAuth2Client | None] = Field(model=OAuth2Client)
    idp_discovery_endpoint: Field[str] = Field()
    token_endpoint: Field[str] = Field()
    type_: Field[OAuth2TokenRequest.Type] = Field("type", enum=Type)


class SecurityContext(FlyteIdlEntity):
    """Everything a task needs to authenticate: ``SecurityContext(run_as=None, secrets=None, tokens=None)``."""

    _pb_type = _pb.SecurityContext
    run_as: Field[Identity | None] = Field(model=Identity)
    secrets: Field[list[Secret]] = Field(model=Secret)
    tokens: Field[list[OAuth2TokenRequest]] = Field(model=OAuth2TokenRequest)
