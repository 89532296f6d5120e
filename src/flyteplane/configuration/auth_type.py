"""How the client authenticates to Flyte Admin: :class:`AuthType`."""

from __future__ import annotations

from enum import Enum

__all__ = ["AuthType"]


class AuthType(str, Enum):
    """The authentication flow, with flytekit's member names and values plus :attr:`NONE`.

    A ``str`` enum, so ``AuthType.PKCE == "Pkce"`` and the members can be written back to a flytectl file unchanged.
    Several members are synonyms kept for flytekit compatibility (see :attr:`canonical`). Parsing is tolerant:
    ``AuthType("pkce")``, ``AuthType("CLIENT_SECRET")`` and ``AuthType.parse("device-flow")`` all work.
    """

    STANDARD = "standard"
    """PKCE authorization-code flow in a browser (flytekit's historical default; same as :attr:`PKCE`)."""
    BASIC = "basic"
    """OAuth2 client credentials (same as :attr:`CLIENTSECRET`)."""
    CLIENT_CREDENTIALS = "client_credentials"
    """OAuth2 client credentials (same as :attr:`CLIENTSECRET`)."""
    EXTERNAL_PROCESS = "external_process"
    """Run ``PlatformConfig.command`` and use what it prints as the token (same as :attr:`EXTERNALCOMMAND`)."""
    # The flyteidl/flytectl spellings, the ones ``admin.authType`` uses.
    CLIENTSECRET = "ClientSecret"
    """OAuth2 client credentials: ``client_id`` plus ``client_credentials_secret``."""
    PKCE = "Pkce"
    """PKCE authorization-code flow in a browser."""
    EXTERNALCOMMAND = "ExternalCommand"
    """Run ``PlatformConfig.command`` and use what it prints as the token."""
    DEVICEFLOW = "DeviceFlow"
    """OAuth2 device authorization flow (a code to type in on another device)."""
    NONE = "None"
    """Explicitly no authentication: never attach a token, never start a login (flytekit has no way to say this)."""

    def __str__(self) -> str:
        # The value is what config files and flytectl use; "AuthType.PKCE" is never what anyone wants to print.
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @property
    def canonical(self) -> AuthType:
        """The flyteidl spelling of this flow, so code can dispatch on five cases instead of nine."""
        return _CANONICAL.get(self, self)

    @classmethod
    def parse(cls, value: str | AuthType) -> AuthType:
        """Parse a member name or value, ignoring case, ``_``, ``-`` and spaces.

        Raises:
            ValueError: for anything that is not an auth type; the message lists the accepted spellings.
        """
        if isinstance(value, AuthType):
            return value
        if isinstance(value, str):
            found = _BY_KEY.get(_key(value))
            if found is not None:
                return found
        accepted = ", ".join(member.value for member in cls)
        raise ValueError(f"unknown auth type {value!r}; expected one of {accepted} (case-insensitive)")

    @classmethod
    def _missing_(cls, value: object) -> AuthType | None:
        # Makes AuthType("pkce") as tolerant as AuthType.parse; None lets Enum raise its usual ValueError.
        if isinstance(value, str):
            return _BY_KEY.get(_key(value))
        return None


def _key(text: str) -> str:
    return text.strip().lower().replace("_", "").replace("-", "").replace(" ", "")


# Names and values normalise to distinct keys (e.g. "clientcredentials" vs "clientsecret"), so one table serves both.
_BY_KEY: dict[str, AuthType] = {}
for _member in AuthType:
    _BY_KEY[_key(_member.name)] = _member
    _BY_KEY[_key(_member.value)] = _member
del _member

_CANONICAL: dict[AuthType, AuthType] = {
    AuthType.STANDARD: AuthType.PKCE,
    AuthType.BASIC: AuthType.CLIENTSECRET,
    AuthType.CLIENT_CREDENTIALS: AuthType.CLIENTSECRET,
    AuthType.EXTERNAL_PROCESS: AuthType.EXTERNALCOMMAND,
}
