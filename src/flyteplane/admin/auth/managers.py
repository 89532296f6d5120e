"""AuthMetadataService and IdentityService, as managers (methods named like the RPCs in snake_case).

* ``GetOAuth2Metadata``: where to get tokens. The built-in server describes itself; in external mode the
  identity provider's own metadata document is passed on, as flyteadmin does.
* ``GetPublicClientConfig``: the client id, redirect URI, scopes and audience a CLI should use, and the
  metadata key to send the token under.
* ``UserInfo``: the caller, from its verified token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import grpc
from flyteidl.service import auth_pb2, identity_pb2
from google.protobuf import struct_pb2

from flyteplane.admin.auth.tokens import AuthUnavailable, current_identity
from flyteplane.admin.errors import AdminError

if TYPE_CHECKING:
    from flyteplane.admin.auth.runtime import AdminAuth

__all__ = ["AuthMetadataManager", "IdentityManager", "user_info"]

_METADATA_FIELDS = tuple(f.name for f in auth_pb2.OAuth2MetadataResponse.DESCRIPTOR.fields)
_USER_FIELDS = ("name", "preferred_username", "given_name", "family_name", "email", "picture")


class AuthMetadataManager:
    """Serves AuthMetadataService (anonymous: a client calls it before it has a token)."""

    def __init__(self, auth: AdminAuth) -> None:
        self._auth = auth

    def get_o_auth2_metadata(self, request: auth_pb2.OAuth2MetadataRequest) -> auth_pb2.OAuth2MetadataResponse:
        try:
            document = self._auth.oauth2_metadata()
        except AuthUnavailable as e:
            message = f"cannot fetch the identity provider's metadata: {e}"
            raise AdminError(grpc.StatusCode.UNAVAILABLE, message) from None
        response = auth_pb2.OAuth2MetadataResponse()
        for name in _METADATA_FIELDS:
            value = document.get(name)
            if isinstance(value, str):
                setattr(response, name, value)
            elif isinstance(value, list):
                getattr(response, name).extend(str(v) for v in value)
        return response

    def get_public_client_config(
        self, request: auth_pb2.PublicClientAuthConfigRequest
    ) -> auth_pb2.PublicClientAuthConfigResponse:
        config = self._auth.public_client_config()
        return auth_pb2.PublicClientAuthConfigResponse(
            client_id=config["client_id"],
            redirect_uri=config["redirect_uri"],
            scopes=config["scopes"],
            authorization_metadata_key=config["authorization_metadata_key"],
            service_http_endpoint=config["service_http_endpoint"],
            audience=config["audience"],
        )


class IdentityManager:
    """Serves IdentityService (behind the token check, so the caller is known)."""

    def __init__(self, auth: AdminAuth) -> None:
        self._auth = auth

    def user_info(self, request: identity_pb2.UserInfoRequest) -> identity_pb2.UserInfoResponse:
        identity = current_identity()
        if identity is None:  # only reachable if the interceptor is missing: refuse rather than answer blank
            raise AdminError(grpc.StatusCode.UNAUTHENTICATED, "authentication required")
        info = user_info(identity.subject, identity.claims)
        claims = struct_pb2.Struct()
        claims.update(info.pop("additional_claims"))
        return identity_pb2.UserInfoResponse(additional_claims=claims, **info)


def user_info(subject: str, claims: Any) -> dict[str, Any]:
    """UserInfo's fields from a token's claims (also the JSON of the HTTP ``/me``)."""
    info: dict[str, Any] = {"subject": subject}
    for name in _USER_FIELDS:
        value = claims.get(name)
        info[name] = value if isinstance(value, str) else ""
    info["additional_claims"] = {k: v for k, v in claims.items() if _is_json(v)}
    return info


def _is_json(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool, int, float)):
        return True
    if isinstance(value, list):
        return all(_is_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_json(v) for k, v in value.items())
    return False
