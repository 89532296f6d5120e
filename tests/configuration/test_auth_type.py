"""AuthType: flytekit's members and values, NONE, and the tolerant parser."""

from __future__ import annotations

import pytest

from flyteplane.configuration import AuthType, PlatformConfig

FLYTEKIT_VALUES = {
    "STANDARD": "standard",
    "BASIC": "basic",
    "CLIENT_CREDENTIALS": "client_credentials",
    "EXTERNAL_PROCESS": "external_process",
    "CLIENTSECRET": "ClientSecret",
    "PKCE": "Pkce",
    "EXTERNALCOMMAND": "ExternalCommand",
    "DEVICEFLOW": "DeviceFlow",
}


def test_members_and_values_match_flytekit_plus_none():
    assert {m.name: m.value for m in AuthType} == {**FLYTEKIT_VALUES, "NONE": "None"}


def test_is_a_str_enum_that_prints_its_value():
    assert AuthType.PKCE == "Pkce"
    assert isinstance(AuthType.CLIENTSECRET, str)
    assert str(AuthType.DEVICEFLOW) == "DeviceFlow"
    assert f"{AuthType.EXTERNALCOMMAND}" == "ExternalCommand"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Pkce", AuthType.PKCE),
        ("pkce", AuthType.PKCE),
        ("PKCE", AuthType.PKCE),
        ("standard", AuthType.STANDARD),
        ("ClientSecret", AuthType.CLIENTSECRET),
        ("clientsecret", AuthType.CLIENTSECRET),
        ("client_secret", AuthType.CLIENTSECRET),
        ("client-credentials", AuthType.CLIENT_CREDENTIALS),
        ("CLIENT_CREDENTIALS", AuthType.CLIENT_CREDENTIALS),
        ("deviceflow", AuthType.DEVICEFLOW),
        ("Device Flow", AuthType.DEVICEFLOW),
        ("externalcommand", AuthType.EXTERNALCOMMAND),
        ("EXTERNAL_PROCESS", AuthType.EXTERNAL_PROCESS),
        ("None", AuthType.NONE),
        ("none", AuthType.NONE),
        ("  basic  ", AuthType.BASIC),
    ],
)
def test_parse_accepts_names_and_values_in_any_case(text, expected):
    assert AuthType.parse(text) is expected
    assert AuthType(text) is expected  # the Enum constructor is just as tolerant


def test_parse_rejects_unknown_with_the_accepted_spellings():
    with pytest.raises(ValueError, match="kerberos") as info:
        AuthType.parse("kerberos")
    assert "Pkce" in str(info.value) and "ClientSecret" in str(info.value)
    with pytest.raises(ValueError):
        AuthType(42)


def test_canonical_collapses_synonyms_to_flyteidl_spellings():
    assert AuthType.STANDARD.canonical is AuthType.PKCE
    assert AuthType.BASIC.canonical is AuthType.CLIENTSECRET
    assert AuthType.CLIENT_CREDENTIALS.canonical is AuthType.CLIENTSECRET
    assert AuthType.EXTERNAL_PROCESS.canonical is AuthType.EXTERNALCOMMAND
    assert AuthType.DEVICEFLOW.canonical is AuthType.DEVICEFLOW
    assert AuthType.NONE.canonical is AuthType.NONE


def test_platform_config_parses_string_auth_modes():
    # flytekit's own Config.for_sandbox passes auth_mode="Pkce"; here it also becomes the enum member.
    assert PlatformConfig(auth_mode="Pkce").auth_mode is AuthType.PKCE  # type: ignore[arg-type]
    assert PlatformConfig(auth_mode="none").auth_mode is AuthType.NONE  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown auth type"):
        PlatformConfig(auth_mode="oauth3")  # type: ignore[arg-type]
