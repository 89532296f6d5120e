"""Keys of a config file that nothing reads: a typo (``endpont:``, ``insecre:``, ``[platfrom]``) is otherwise silently
ignored, and the client then talks to ``localhost:30080`` or without TLS for no visible reason.

A key counts as known when flyteplane reads it, or when flytectl or flytekit do (a config file is shared by the three):
flytectl's ``admin`` section is its ``admin.Config`` (flyteidl's ``clients/go/admin/config.go``) and its other
top-level sections are the ones flytectl and flytestdlib register; flytekit's INI sections are those of
``flytekit/configuration/internal.py``. Inside sections whose keys belong to other programs (``storage``, ``logger``,
flytectl's sub-command sections) nothing is checked, since flyteplane cannot know every key they accept.

Each unknown key is reported once per process (as a ``flyteplane.configuration`` logging warning, which a CLI without
logging set up prints to stderr), with the closest known key when there is one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import configparser

__all__ = ["unknown_ini_keys", "unknown_yaml_keys", "warn_unknown_keys"]

# flytectl's admin.Config (flyteidl clients/go/admin/config.go): every key it accepts, whether or not flyteplane
# reads it, so a flytectl config file raises no warning.
_FLYTECTL_ADMIN_KEYS = (
    "endpoint",
    "insecure",
    "insecureSkipVerify",
    "caCertFilePath",
    "maxBackoffDelay",
    "perRetryTimeout",
    "maxRetries",
    "authType",
    "tokenRefreshWindow",
    "useAuth",
    "clientId",
    "clientSecretLocation",
    "clientSecretEnvVar",
    "scopes",
    "useAudienceFromAdmin",
    "audience",
    "authorizationServerUrl",
    "tokenUrl",
    "authorizationHeader",
    "pkceConfig",
    "deviceFlowConfig",
    "command",
    "proxyCommand",
    "defaultServiceConfig",
    "httpProxyURL",
)

# Top-level sections of a flytectl config: flytestdlib's (logger, storage, otel), flytectl's root and sub-command
# sections, and flytekit's ``images``.
_YAML_SECTIONS = (
    "admin",
    "console",
    "logger",
    "storage",
    "otel",
    "root",
    "project",
    "domain",
    "output",
    "interactive",
    "task",
    "workflow",
    "launchplan",
    "execution",
    "files",
    "sandbox",
    "demo",
    "docker",
    "images",
)

# flytekit's INI options that flyteplane does not read (flytekit/configuration/internal.py).
_FLYTEKIT_ONLY_INI = (("sdk", "workflow_packages"), ("sdk", "logging_level"))
# Sections whose option names are free: flytekit's ``[images]`` maps any name to an image.
_FREE_INI_SECTIONS = ("images",)

_reported: set[tuple[str, str]] = set()


def _settings() -> Iterator[Any]:
    from flyteplane.configuration import settings

    for group in (
        settings.Platform,
        settings.Credentials,
        settings.AWS,
        settings.GCP,
        settings.AZURE,
        settings.Persistence,
        settings.Secrets,
        settings.Stats,
        settings.Local,
        settings.LocalSDK,
    ):
        for value in vars(group).values():
            if isinstance(value, settings.Setting):
                yield value


def _suggest(key: str, known: Iterable[str]) -> str:
    """`` (did you mean X?)`` for the closest known spelling, compared ignoring case as the readers do."""
    import difflib  # only when a key is unknown

    by_lower = {k.lower(): k for k in known}
    match = difflib.get_close_matches(key.lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean {by_lower[match[0]]}?)" if match else ""


def unknown_yaml_keys(document: Mapping[str, Any]) -> list[str]:
    """What is wrong with a flytectl YAML document's keys: one sentence per unknown key, e.g.
    ``unknown key admin.endpont (did you mean admin.endpoint?)``. Keys compare ignoring case, as flytectl's do."""
    admin_keys = set(_FLYTECTL_ADMIN_KEYS)
    sections = set(_YAML_SECTIONS)
    nested: dict[str, set[str]] = {}
    for setting in _settings():
        if setting.yaml_key is None:
            continue
        head, _, rest = setting.yaml_key.partition(".")
        sections.add(head)
        if head == "admin":
            admin_keys.add(rest)
        elif head == "console":
            nested.setdefault(head, set()).add(rest)
    nested["admin"] = admin_keys
    problems: list[str] = []
    lowered_sections = {s.lower() for s in sections}
    for section, body in document.items():
        name = str(section)
        if name.lower() not in lowered_sections:
            problems.append(f"unknown section {name}{_suggest(name, sections)}")
            continue
        known = next((keys for head, keys in nested.items() if head.lower() == name.lower()), None)
        if known is None or not isinstance(body, Mapping):
            continue
        lowered = {k.lower() for k in known}
        for key in body:
            if str(key).lower() not in lowered:
                full = {f"{name}.{k}" for k in known}
                problems.append(f"unknown key {name}.{key}{_suggest(f'{name}.{key}', full)}")
    return problems


def unknown_ini_keys(parser: configparser.ConfigParser) -> list[str]:
    """What is wrong with a flytekit INI file's sections and options: one sentence per unknown one, e.g.
    ``unknown option [platform] insecre (did you mean [platform] insecure?)``."""
    options: dict[str, set[str]] = {}
    for setting in _settings():
        for section, option in ((setting.section, setting.option), *setting.aliases):
            options.setdefault(section, set()).add(option)
    for section, option in _FLYTEKIT_ONLY_INI:
        options.setdefault(section, set()).add(option)
    problems: list[str] = []
    defaults = set(parser.defaults())
    for section in parser.sections():
        if section in _FREE_INI_SECTIONS:
            continue
        if section not in options:
            problems.append(f"unknown section [{section}]{_suggest(section, [*options, *_FREE_INI_SECTIONS])}")
            continue
        known = options[section]
        for option in parser.options(section):
            if option in known or option in defaults:
                continue
            full = [f"[{section}] {o}" for o in known]
            problems.append(f"unknown option [{section}] {option}{_suggest(f'[{section}] {option}', full)}")
    every = set().union(*options.values())
    for option in sorted(defaults - every):
        problems.append(f"unknown option [DEFAULT] {option}")
    return problems


def warn_unknown_keys(location: str, problems: Iterable[str]) -> None:
    """Log each problem of the file at ``location`` once per process (a file is read again at every ``auto()``)."""
    import logging

    log = logging.getLogger("flyteplane.configuration")
    for problem in problems:
        if (location, problem) in _reported:
            continue
        _reported.add((location, problem))
        log.warning("config file %s: %s; it is ignored", location, problem)
