"""The built-in OAuth2 authorization server: authlib's protocol code over the admin's plain HTTP side.

authlib implements the protocol (RFC 6749 grants, RFC 7636 PKCE, RFC 8628 device grant, RFC 7009 revocation,
RFC 6750 bearer responses); this module is the framework integration authlib asks for — request and response
adapters (:class:`HttpRequest` / :class:`HttpResponse`, free of any web framework) — plus the models (clients,
codes, tokens) over :mod:`.stores`.

Grants:

* ``client_credentials``: confidential clients, secret by HTTP Basic (``quote_plus``-encoded, as flytekit sends
  it) or form fields.
* ``authorization_code``: PKCE with S256 is required of every client; ``plain`` is refused.
* ``urn:ietf:params:oauth:grant-type:device_code``: ``authorization_pending`` until approved, ``slow_down`` when
  polled faster than the interval.
* ``refresh_token``: rotated — each exchange returns a new refresh token and revokes the old one.
"""

from __future__ import annotations

import hmac
import json
import secrets
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    InvalidGrantError,
    InvalidRequestError,
    OAuth2Error,
    OAuth2Payload,
    OAuth2Request,
    TokenMixin,
    UnauthorizedClientError,
    grants,
)
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc8628 import DeviceAuthorizationEndpoint, DeviceCodeGrant, DeviceCredentialDict

from flyteplane.admin.auth.config import GRANT_DEVICE_CODE, AuthConfig, ClientRegistration
from flyteplane.admin.auth.keys import SigningKey
from flyteplane.admin.auth.stores import (
    AuthorizationCode,
    AuthorizationCodes,
    DeviceCodes,
    RefreshToken,
    RefreshTokens,
    RevokedAccessTokens,
)
from flyteplane.admin.auth.tokens import Identity, InvalidToken, sign_access_token

__all__ = ["HttpRequest", "HttpResponse", "OAuthServer", "User"]

AUTHORIZE_PATH = "/oauth2/authorize"
TOKEN_PATH = "/oauth2/token"
DEVICE_AUTHORIZATION_PATH = "/oauth2/device/authorize"
DEVICE_VERIFICATION_PATH = "/oauth2/device/verify"
JWKS_PATH = "/oauth2/jwks"
REVOCATION_PATH = "/oauth2/revoke"
USERINFO_PATH = "/me"
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


# -- framework integration: requests and responses --------------------------------------------------------------
@dataclass
class HttpRequest:
    """One HTTP request, as the protocol code needs it."""

    method: str
    uri: str
    headers: Any  # a case-insensitive mapping (``email.message.Message`` or similar)
    query: dict[str, list[str]] = field(default_factory=dict)
    form: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class HttpResponse:
    status: int
    body: bytes
    headers: list[tuple[str, str]]


class _Payload(OAuth2Payload):  # type: ignore[misc]
    """Query and form parameters together (a form field wins over a query parameter of the same name)."""

    def __init__(self, request: HttpRequest) -> None:
        merged: dict[str, list[str]] = defaultdict(list)
        for source in (request.query, request.form):
            for key, values in source.items():
                merged[key] = list(values)
        self._datalist = merged
        self._data = {key: values[0] for key, values in merged.items() if values}

    @property
    def data(self) -> dict[str, str]:
        return self._data

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        return self._datalist  # type: ignore[return-value]


class _Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request.method, request.uri, headers=request.headers)
        self.payload = _Payload(request)
        self._args = {k: v[0] for k, v in request.query.items() if v}
        self._form = {k: v[0] for k, v in request.form.items() if v}

    @property
    def args(self) -> dict[str, str]:
        return self._args

    @property
    def form(self) -> dict[str, str]:
        return self._form


# -- models ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class User:
    """A person (or, for client credentials, no one: the client is the subject)."""

    subject: str

    def get_user_id(self) -> str:
        return self.subject


class _Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, registration: ClientRegistration) -> None:
        self.registration = registration

    def get_client_id(self) -> str:
        return self.registration.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.registration.redirect_uris
        return uris[0] if uris else None

    def get_allowed_scope(self, scope: str | None) -> str:
        allowed = self.registration.scopes
        if not scope:
            return " ".join(allowed)
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return any(_redirect_matches(registered, redirect_uri) for registered in self.registration.redirect_uris)

    def check_client_secret(self, client_secret: str) -> bool:
        secret = self.registration.client_secret
        if secret is None:
            return False
        return hmac.compare_digest(secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.registration.is_public:
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and self.check_grant_type("authorization_code")

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.registration.grant_types


def _redirect_matches(registered: str, requested: str) -> bool:
    """Exact match; for loopback URIs any port (RFC 8252 §7.3: a native app listens where it can)."""
    if registered == requested:
        return True
    try:
        a, b = urlsplit(registered), urlsplit(requested)
        b.port  # noqa: B018 (a malformed port raises here)
    except ValueError:
        return False
    return (
        a.hostname in _LOOPBACK_HOSTS
        and a.scheme == b.scheme == "http"
        and a.hostname == b.hostname
        and a.path == b.path
        and a.query == b.query
        and not b.fragment
        and not b.username
        and not b.password
    )


@dataclass
class _AccessToken(TokenMixin):  # type: ignore[misc]
    """An access token presented for revocation."""

    identity: Identity

    def check_client(self, client: Any) -> bool:
        return bool(self.identity.client_id == client.get_client_id())


class InvalidTargetError(OAuth2Error):  # type: ignore[misc]
    """RFC 8707: the requested audience is not one this server issues tokens for."""

    error = "invalid_target"


# -- grants ------------------------------------------------------------------------------------------------------
class _ClientCredentialsGrant(grants.ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class _AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def save_authorization_code(self, code: str, request: Any) -> None:
        data = request.payload.data
        self.server.codes.add(
            code,
            AuthorizationCode(
                client_id=request.client.get_client_id(),
                subject=request.user.subject,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope or "",
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                expires_at=time.time() + self.server.config.authorization_code_ttl,
            ),
        )

    def query_authorization_code(self, code: str, client: Any) -> AuthorizationCode | None:
        return self.server.codes.take(code, client.get_client_id())  # type: ignore[no-any-return]

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        pass  # taken (removed) when it was looked up

    def authenticate_user(self, authorization_code: AuthorizationCode) -> User:
        return User(authorization_code.subject)


class _RequirePkceS256(CodeChallenge):  # type: ignore[misc]
    """PKCE for every client, S256 only (``plain`` protects nothing against an observer of the request)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE is required: send code_challenge with code_challenge_method=S256")
        super().validate_code_challenge(grant, redirect_uri)


class _RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken:
        record = self.server.refresh_tokens.usable(refresh_token)
        if record is None:
            raise InvalidGrantError("the refresh token is unknown, expired or revoked: log in again")
        return record  # type: ignore[no-any-return]

    def authenticate_user(self, refresh_token: RefreshToken) -> User:
        return User(refresh_token.subject)

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        # Rotation: the old token dies now. If another exchange of it won the race, this one fails.
        if not self.server.refresh_tokens.revoke(refresh_token.token_hash):
            raise InvalidGrantError("the refresh token is unknown, expired or revoked: log in again")


class _DeviceCodeGrant(DeviceCodeGrant):  # type: ignore[misc]
    def query_device_credential(self, device_code: str) -> DeviceCredentialDict | None:
        return self.server.devices.credential(device_code)  # type: ignore[no-any-return]

    def query_user_grant(self, user_code: str) -> tuple[User, bool] | None:
        answer = self.server.devices.grant(user_code)
        if answer is None:
            return None
        subject, approved = answer
        return User(subject), approved

    def should_slow_down(self, credential: DeviceCredentialDict) -> bool:
        return bool(self.server.devices.too_fast(credential["device_code"]))

    def create_token_response(self) -> Any:
        response = super().create_token_response()
        self.server.devices.consume(self.request.credential["device_code"])  # one exchange per device code
        return response


class _DeviceAuthorizationEndpoint(DeviceAuthorizationEndpoint):  # type: ignore[misc]
    def __init__(self, server: OAuthServer) -> None:
        super().__init__(server)
        self.EXPIRES_IN = server.config.device_code_ttl
        self.INTERVAL = server.config.device_poll_interval

    def authenticate_client(self, request: Any) -> Any:
        client = super().authenticate_client(request)
        if not client.check_grant_type(GRANT_DEVICE_CODE):
            raise UnauthorizedClientError("The client is not authorized to use the device code grant")
        return client

    def get_verification_uri(self) -> str:
        return self.server.issuer + DEVICE_VERIFICATION_PATH  # type: ignore[no-any-return]

    def save_device_credential(self, client_id: str, scope: str | None, data: dict[str, Any]) -> None:
        credential = DeviceCredentialDict(
            client_id=client_id,
            scope=scope or "",
            user_code=data["user_code"],
            device_code=data["device_code"],
            expires_at=time.time() + self.EXPIRES_IN,
        )
        self.server.devices.add(data["device_code"], credential, int(self.INTERVAL))


class _RevocationEndpoint(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        if token_type_hint != "access_token":
            record = self.server.refresh_tokens.find(token_string)
            if record is not None:
                return record
        if token_type_hint != "refresh_token":
            try:
                return _AccessToken(self.server.verify_access_token(token_string))
            except InvalidToken:
                return None
        return None

    def revoke_token(self, token: Any, request: Any) -> None:
        if isinstance(token, RefreshToken):
            self.server.refresh_tokens.revoke(token.token_hash)
        elif isinstance(token, _AccessToken) and token.identity.token_id and token.identity.expires_at:
            self.server.revoked_access_tokens.add(token.identity.token_id, token.identity.expires_at)


# -- the server --------------------------------------------------------------------------------------------------
class OAuthServer(AuthorizationServer):  # type: ignore[misc]
    """authlib's authorization server, wired to this admin's clients, key and stores.

    Args:
        config: the auth settings (clients, lifetimes, scopes).
        issuer: the issuer URL; the OAuth2 endpoints live under it.
        audience: the default ``aud`` of issued tokens.
        key: the signing key.
        refresh_tokens: where refresh tokens are kept.
        revoked_access_tokens: where revoked access tokens are remembered.
        verify_access_token: checks an access token (for revocation requests).
    """

    def __init__(
        self,
        config: AuthConfig,
        *,
        issuer: str,
        audience: str,
        key: SigningKey,
        refresh_tokens: RefreshTokens,
        revoked_access_tokens: RevokedAccessTokens,
        verify_access_token: Callable[[str], Identity],
    ) -> None:
        super().__init__(scopes_supported=list(config.scopes))
        self.config = config
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.key = key
        self.refresh_tokens = refresh_tokens
        self.revoked_access_tokens = revoked_access_tokens
        self.verify_access_token = verify_access_token
        self.codes = AuthorizationCodes()
        self.devices = DeviceCodes()
        self._clients = {c.client_id: _Client(c) for c in config.clients}
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=self._access_token,
                refresh_token_generator=lambda **_: _new_secret(),
                expires_generator=lambda client, grant_type: config.access_token_ttl,
            ),
        )
        self.register_grant(_ClientCredentialsGrant)
        self.register_grant(_AuthorizationCodeGrant, [_RequirePkceS256(required=True)])
        self.register_grant(_DeviceCodeGrant)
        self.register_grant(_RefreshTokenGrant)
        self.register_endpoint(_DeviceAuthorizationEndpoint(self))
        self.register_endpoint(_RevocationEndpoint)

    # -- what authlib asks of an integration ---------------------------------------------------------------
    def query_client(self, client_id: str) -> _Client | None:
        return self._clients.get(client_id)

    def save_token(self, token: Mapping[str, Any], request: Any) -> None:
        refresh = token.get("refresh_token")
        if refresh:
            client_id = request.client.get_client_id()
            subject = request.user.subject if request.user is not None else client_id
            self.refresh_tokens.add(
                refresh,
                client_id=client_id,
                subject=subject,
                scope=token.get("scope") or "",
                ttl=self.config.refresh_token_ttl,
            )

    def create_oauth2_request(self, request: HttpRequest | _Request) -> _Request:
        return request if isinstance(request, _Request) else _Request(request)

    def create_json_request(self, request: Any) -> Any:
        raise NotImplementedError("no JSON endpoints")

    def handle_response(self, status: int, body: Any, headers: Any) -> HttpResponse:
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else str(body or "").encode()
        return HttpResponse(status, data, [(str(k), str(v)) for k, v in headers or ()])

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass  # authlib's hook for framework signals; nothing listens

    # -- token contents --------------------------------------------------------------------------------------
    def _access_token(self, client: _Client, grant_type: str, user: User | None, scope: str) -> str:
        extra = {"preferred_username": user.subject, "name": user.subject} if user is not None else None
        return sign_access_token(
            self.key,
            issuer=self.issuer,
            audience=client.registration.audience or self.audience,
            subject=user.subject if user is not None else client.get_client_id(),
            client_id=client.get_client_id(),
            scopes=(scope or "").split(),
            expires_in=self.config.access_token_ttl,
            extra_claims=extra,
        )

    # -- endpoints (each returns the response; protocol errors become OAuth2 error responses) -------------------
    def token(self, request: HttpRequest) -> HttpResponse:
        """``POST /oauth2/token``."""
        audience = _single(request.form, "audience")
        if audience and audience not in self._audiences():
            error = InvalidTargetError(f"this server issues tokens for the audience {self.audience} only")
            return self.handle_error_response(None, error)  # type: ignore[no-any-return]
        return self._protocol(lambda: self.create_token_response(request))

    def device_authorization(self, request: HttpRequest) -> HttpResponse:
        """``POST /oauth2/device/authorize``."""
        return self._protocol(lambda: self.create_endpoint_response("device_authorization", request))

    def revocation(self, request: HttpRequest) -> HttpResponse:
        """``POST /oauth2/revoke``."""
        return self._protocol(lambda: self.create_endpoint_response("revocation", request))

    def authorization(self, request: HttpRequest, user: User | None) -> HttpResponse:
        """The authorization endpoint once the user is known (``user``) or refused (None): a redirect to the
        client with a code, or with an error."""

        def respond() -> HttpResponse:
            oauth_request = self.create_oauth2_request(request)
            grant = self.get_consent_grant(oauth_request, end_user=user)
            return self.create_authorization_response(oauth_request, grant_user=user, grant=grant)  # type: ignore[no-any-return]

        return self._protocol(respond)

    def check_authorization(self, request: HttpRequest) -> HttpResponse | None:
        """Validate an authorization request before asking who the user is: None if it is good, else the error
        response (a redirect to the client when the client and its redirect URI are known, else a 400)."""

        def check() -> None:
            self.get_consent_grant(self.create_oauth2_request(request), end_user=None)

        return self._protocol(check)

    def device_prompt(self, user_code: str) -> bool:
        """True if ``user_code`` names a pending device authorization."""
        return self.devices.pending(user_code) is not None

    def answer_device(self, user_code: str, subject: str, approved: bool) -> bool:
        """Approve or deny a pending device authorization; False if there is none with this user code."""
        return bool(self.devices.answer(user_code, subject, approved))

    def _protocol(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except OAuth2Error as error:
            return self.handle_error_response(None, error)
        except ValueError:
            # authlib refuses to put some characters into an error description (e.g. a redirect_uri with a quote
            # in an error message); that is still the client's malformed request, not the admin's failure.
            return self.handle_error_response(None, InvalidRequestError("The request is malformed."))

    def _audiences(self) -> set[str]:
        return {self.audience, *(c.registration.audience for c in self._clients.values() if c.registration.audience)}


def _single(values: dict[str, list[str]], name: str) -> str | None:
    found = values.get(name)
    return found[0] if found else None


def _new_secret() -> str:
    return secrets.token_urlsafe(32)
