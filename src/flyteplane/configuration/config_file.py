"""Finding and reading the config file: flytectl YAML or flytekit's legacy INI.

Lookup happens every time it is asked for; nothing is cached at import, so setting ``FLYTECTL_CONFIG`` (or changing
directory, or ``HOME``) after ``import flyteplane`` takes effect on the next ``Config.auto()``. flytekit caches the
answer during ``import flytekit`` and ignores later changes.

The YAML and INI parsers are imported only when a file of that kind is read, to keep ``import flyteplane`` fast.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, TypeAlias, Union

from flyteplane.configuration.values import ConfigurationError

if TYPE_CHECKING:
    import configparser

__all__ = [
    "FLYTECTL_CONFIG_ENV_VAR",
    "FLYTECTL_CONFIG_OVERRIDE_ENV_VAR",
    "ConfigFile",
    "ConfigFileArg",
    "find_config_file",
    "get_config_file",
]

FLYTECTL_CONFIG_ENV_VAR = "FLYTECTL_CONFIG"
"""The variable the flytectl sandbox instructions tell users to set."""
FLYTECTL_CONFIG_OVERRIDE_ENV_VAR = "_FLYTECTL_CONFIG_PYFLYTE_OVERRIDE"
"""Set by ``pyflyte --config``; checked before :data:`FLYTECTL_CONFIG_ENV_VAR` so pyflyte's choice wins."""


def _warn(message: str, *args: object) -> None:
    # logging costs several milliseconds to import and is only needed on this rare path.
    import logging

    logging.getLogger("flyteplane.configuration").warning(message, *args)


class ConfigFile:
    """One parsed config file: YAML (``.yaml``/``.yml``, flytectl's format) or INI (anything else, flytekit's).

    Parsed once, when constructed. Read values with :meth:`get_yaml` / :meth:`get_ini`; most code should use the
    ``auto()`` constructors instead, which also apply environment variables.
    """

    def __init__(self, location: str | os.PathLike[str]) -> None:
        """Read and parse ``location``. Keys that nothing reads (a typo such as ``endpont:``) are logged as warnings,
        once per process, with the closest known key (:mod:`flyteplane.configuration.unknown_keys`).

        Raises:
            FlyteFileNotFoundError: the file does not exist (the message names the path; a ``FileNotFoundError``).
            ConfigurationError: the file is not valid YAML/INI, or is an INI file with an ``[internal]`` section.
        """
        self._location = os.path.abspath(os.fspath(location))
        if not os.path.isfile(self._location):
            from flyteplane.errors import FlyteFileNotFoundError

            raise FlyteFileNotFoundError(f"flyteplane config file not found: {self._location}")
        self._yaml: dict[str, Any] | None = None
        self._ini: configparser.ConfigParser | None = None
        if self._location.endswith(("yaml", "yml")):
            self._yaml = self._read_yaml(self._location)
        else:
            self._ini = self._read_ini(self._location)
        self._warn_unknown_keys()

    def _warn_unknown_keys(self) -> None:
        # A misspelled key is otherwise silently ignored (see flyteplane.configuration.unknown_keys).
        from flyteplane.configuration.unknown_keys import unknown_ini_keys, unknown_yaml_keys, warn_unknown_keys

        if self._yaml is not None:
            problems = unknown_yaml_keys(self._yaml)
        else:
            assert self._ini is not None
            problems = unknown_ini_keys(self._ini)
        warn_unknown_keys(self._location, problems)

    @property
    def location(self) -> str:
        """Absolute path of the file."""
        return self._location

    @property
    def is_yaml(self) -> bool:
        """True for a flytectl YAML file, False for a legacy INI file."""
        return self._yaml is not None

    @property
    def yaml_config(self) -> dict[str, Any] | None:
        """The parsed YAML document (flytekit's attribute name), or None for an INI file."""
        return self._yaml

    @property
    def legacy_config(self) -> configparser.ConfigParser | None:
        """The parsed INI file (flytekit's attribute name), or None for a YAML file."""
        return self._ini

    def get_yaml(self, key: str) -> Any:
        """The value at a dotted flytectl key such as ``admin.endpoint``, or None.

        Keys match exactly first, then ignoring case: flytectl (viper) treats ``admin.authtype`` and
        ``admin.authType`` as the same key, so hand-written files use both.
        """
        node: Any = self._yaml
        for part in key.split("."):
            if not isinstance(node, dict):
                return None
            if part in node:
                node = node[part]
                continue
            lowered = part.lower()
            matches = [k for k in node if isinstance(k, str) and k.lower() == lowered]
            if not matches:
                return None
            node = node[matches[0]]
        return node

    def get_ini(self, section: str, option: str) -> str | None:
        """The raw string at ``[section] option``, or None."""
        if self._ini is None or not self._ini.has_option(section, option):
            return None
        return self._ini.get(section, option)

    def __repr__(self) -> str:
        return f"ConfigFile({self._location!r})"

    @staticmethod
    def _read_yaml(location: str) -> dict[str, Any]:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        try:
            with open(location, encoding="utf-8") as fh:
                document = yaml.load(fh, Loader=loader)
        except yaml.YAMLError as exc:
            # flytekit logs and carries on with no file at all, which then shows up as a baffling connection to
            # localhost:30080; failing here names the real problem.
            raise ConfigurationError(f"config file {location} is not valid YAML: {exc}") from exc
        if document is None:
            return {}
        if not isinstance(document, dict):
            raise ConfigurationError(f"config file {location} must hold a YAML mapping, not {type(document).__name__}")
        return document

    @staticmethod
    def _read_ini(location: str) -> configparser.ConfigParser:
        import configparser

        # No interpolation: a "%" in a secret or URL must be read literally, not as a reference.
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(location, encoding="utf-8")
        except configparser.Error as exc:
            raise ConfigurationError(f"config file {location} is not a valid INI file: {exc}") from exc
        if parser.has_section("internal"):
            raise ConfigurationError(f"config file {location} must not contain an [internal] section")
        return parser


ConfigFileArg: TypeAlias = Union[str, "os.PathLike[str]", ConfigFile, None]
"""What the ``config_file`` argument of every ``auto()`` accepts."""


def find_config_file() -> str | None:
    """The path of the config file ``auto()`` would use when none is given, or None.

    Checked in order, at call time:

    1. ``$_FLYTECTL_CONFIG_PYFLYTE_OVERRIDE`` (set by pyflyte), then ``$FLYTECTL_CONFIG``; a path that does not exist
       is logged as a warning and skipped.
    2. ``./flytekit.config`` (INI), in the current directory.
    3. ``~/.flyte/config`` (INI).
    4. ``~/.flyte/config.yaml`` (YAML).
    """
    for variable in (FLYTECTL_CONFIG_OVERRIDE_ENV_VAR, FLYTECTL_CONFIG_ENV_VAR):
        path = os.environ.get(variable, "").strip()
        if not path:
            continue
        path = os.path.abspath(os.path.expanduser(path))
        if os.path.isfile(path):
            return path
        _warn("%s points to %s, which does not exist; ignoring it", variable, path)

    home = os.path.expanduser("~")
    for candidate in (
        os.path.abspath("flytekit.config"),
        os.path.join(home, ".flyte", "config"),
        os.path.join(home, ".flyte", "config.yaml"),
    ):
        if os.path.isfile(candidate):
            return candidate
    return None


def get_config_file(config_file: ConfigFileArg = None) -> ConfigFile | None:
    """Resolve a ``config_file`` argument: a :class:`ConfigFile` as is, a path parsed, None looked up.

    Raises:
        FlyteFileNotFoundError: an explicit path does not exist; the message names it (a ``FileNotFoundError``).
    """
    if isinstance(config_file, ConfigFile):
        return config_file
    if config_file is not None:
        return ConfigFile(config_file)
    path = find_config_file()
    return ConfigFile(path) if path is not None else None
