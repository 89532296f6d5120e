"""Request checks shared by every manager, with Flyte Admin's messages (Flyte Admin's
``flyteadmin/pkg/manager/impl/validation/validation.go``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

from flyteidl.admin import common_pb2
from flyteidl.core import identifier_pb2

from flyteplane.admin.errors import AdminError, echo, invalid_argument
from flyteplane.admin.prototext import go_text

__all__ = [
    "RESOURCE_TYPE_NAMES",
    "check_identifier_lengths",
    "check_project_and_domain",
    "check_project_exists_and_active",
    "dns1123_label_errors",
    "id_text",
    "require",
    "require_named_id",
    "validate_create_request",
    "validate_identifier",
    "validate_identifier_list_request",
    "validate_labels",
    "validate_limit",
    "validate_max_bytes",
    "validate_named_identifier",
    "validate_resource_list_request",
]

RESOURCE_TYPE_NAMES = {
    identifier_pb2.UNSPECIFIED: "unspecified",
    identifier_pb2.TASK: "task",
    identifier_pb2.WORKFLOW: "workflow",
    identifier_pb2.LAUNCH_PLAN: "launch_plan",
    identifier_pb2.DATASET: "dataset",
}

# Strings longer than this are refused before they reach the database (SQLite would store them, PostgreSQL
# would fail with an error that is not the client's to read).
MAX_NAME_LENGTH = 255
# Kubernetes' label rules (k8s.io/apimachinery util/validation, as vendored by Flyte Admin 1.16), with its
# messages: Flyte Admin puts them verbatim into its own (``invalid label value [#bar]: [a valid label must ...]``).
_QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_QNAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
)
_LABEL_VALUE_FMT = f"({_QNAME_FMT})?"
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start "
    "and end with an alphanumeric character"
)
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_FMT = _DNS1123_LABEL_FMT + "(\\." + _DNS1123_LABEL_FMT + ")*"
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character"
)


def id_text(message: Any) -> str:
    """Go prototext of an identifier, as Flyte Admin prints it in messages: ``project:"p" domain:"d" ...``."""
    return go_text(message)


def require(value: Any, field: str) -> None:
    """``missing <field>`` when a required value is empty."""
    if not value:
        raise invalid_argument(f"missing {field}")


def require_named_id(request: Any) -> None:
    """The request's ``id`` is present with a project, a domain and a name (no length checks: Flyte Admin's
    named-entity and description-entity validators make none)."""
    if not request.HasField("id"):
        raise invalid_argument("missing id")
    require(request.id.project, "project")
    require(request.id.domain, "domain")
    require(request.id.name, "name")


def _check_length(value: str, field: str) -> None:
    if len(value) > MAX_NAME_LENGTH:
        raise invalid_argument(f"{field} cannot exceed {MAX_NAME_LENGTH} characters")


def check_identifier_lengths(identifier: Any) -> None:
    """``<field> cannot exceed 255 characters`` for an identifier's project, domain, name or version: longer ones
    are never stored (Flyte Admin's models declare ``length(0|255)``), so a read of one is refused, not looked up."""
    for field in ("project", "domain", "name", "version"):
        _check_length(getattr(identifier, field), field)


def validate_identifier(identifier: Any, has_id: bool, expected: int) -> None:
    """Flyte Admin's ValidateIdentifier: presence, resource type, then project, domain, name, version."""
    if not has_id:
        raise invalid_argument("missing id")
    if identifier.resource_type != expected:
        raise invalid_argument(
            f"unexpected resource type {RESOURCE_TYPE_NAMES.get(identifier.resource_type, 'unknown')} for "
            f"identifier [{id_text(identifier)}], expected {RESOURCE_TYPE_NAMES[expected]} instead"
        )
    validate_named_identifier(identifier)
    require(identifier.version, "version")
    _check_length(identifier.version, "version")


def validate_named_identifier(identifier: Any, *, name: bool = True) -> None:
    """project, domain (and name) present and of sane length."""
    require(identifier.project, "project")
    require(identifier.domain, "domain")
    _check_length(identifier.project, "project")
    _check_length(identifier.domain, "domain")
    if name:
        require(identifier.name, "name")
        _check_length(identifier.name, "name")


def validate_max_bytes(value: str, field: str, limit: int) -> None:
    """``<field> cannot exceed <limit> characters``, counting bytes as Go's len() does."""
    if len(value.encode()) > limit:
        raise invalid_argument(f"{field} cannot exceed {limit} characters")


def validate_limit(limit: int) -> None:
    if limit <= 0:
        raise invalid_argument("invalid value for limit")


def validate_create_request(
    request: Any, resource_type: int, state_of: Callable[[str], int | None], domains: Collection[str]
) -> None:
    """CreateTask / CreateWorkflow's first checks, in Flyte Admin's order: the id, that its project (whose state
    ``state_of(project)`` reads, once the id is known to be valid) and domain are registered, and a spec with a
    template."""
    validate_identifier(request.id, request.HasField("id"), resource_type)
    check_project_and_domain(request.id.project, request.id.domain, state_of(request.id.project), domains)
    if not request.HasField("spec") or not request.spec.HasField("template"):
        raise invalid_argument("missing spec")


def validate_resource_list_request(request: common_pb2.ResourceListRequest) -> None:
    """ResourceListRequest (ListTasks, ListWorkflows, ListLaunchPlans): id, project, domain, limit — in that order."""
    if not request.HasField("id"):
        raise invalid_argument("missing id")
    require(request.id.project, "project")
    require(request.id.domain, "domain")
    validate_limit(request.limit)


def validate_identifier_list_request(request: common_pb2.NamedEntityIdentifierListRequest) -> None:
    """NamedEntityIdentifierListRequest (ListTaskIds, ListWorkflowIds): project, domain, limit."""
    require(request.project, "project")
    require(request.domain, "domain")
    validate_limit(request.limit)


def check_project_and_domain(project: str, domain: str, state: int | None, domains: Collection[str]) -> None:
    """The project is registered (``state`` is its stored state, None when it is not) and active, and the domain
    is one of the configured ones."""
    _check_project_active(project, state, f"project [{echo(project)}] and domain [{echo(domain)}] are registered")
    if domain not in domains:
        raise invalid_argument(f"domain [{echo(domain)}] is unrecognized by system")


def check_project_exists_and_active(project: str, state: int | None) -> None:
    """The project is registered (``state`` is its stored state, None when it is not) and active."""
    _check_project_active(project, state, f"project [{echo(project)}] is registered")


def _check_project_active(project: str, state: int | None, what: str) -> None:
    """``failed to validate that <what>, err: [project [p] not found]``, or the inactive-project error."""
    if state is None:
        raise invalid_argument(f"failed to validate that {what}, err: [project [{echo(project)}] not found]")
    if state != 0:
        raise _inactive(project)


def _inactive(project: str) -> AdminError:
    from flyteidl.admin import project_pb2

    detail = None
    inactive = getattr(project_pb2, "InactiveProject", None)
    if inactive is not None:
        detail = inactive(id=project)
    return invalid_argument(f"project [{echo(project)}] is not active", [detail] if detail is not None else [])


def k8s_regex_error(msg: str, fmt: str, *examples: str) -> str:
    """apimachinery's RegexError text (its double space before ``or`` is kept on purpose)."""
    if not examples:
        return f"{msg} (regex used for validation is '{fmt}')"
    return msg + " (e.g. " + " or ".join(f"'{e}', " for e in examples) + f"regex used for validation is '{fmt}')"


def go_list(errors: list[str]) -> str:
    """A Go ``[]string`` printed with ``%v``: ``[a b]``."""
    return "[" + " ".join(errors) + "]"


def _max_len(n: int) -> str:
    return f"must be no more than {n} characters"


def _k8s_errors(value: str, max_bytes: int, msg: str, fmt: str, *examples: str) -> list[str]:
    """apimachinery's pattern for one value: at most ``max_bytes`` long, and matching ``fmt`` (both reported)."""
    errs = []
    if len(value.encode()) > max_bytes:
        errs.append(_max_len(max_bytes))
    if not re.fullmatch(fmt, value):
        errs.append(k8s_regex_error(msg, fmt, *examples))
    return errs


def dns1123_label_errors(value: str) -> list[str]:
    """apimachinery's IsDNS1123Label (the version Flyte Admin 1.16 vendors), with its messages."""
    return _k8s_errors(value, 63, _DNS1123_LABEL_MSG, _DNS1123_LABEL_FMT, "my-name", "123-abc")


def _dns1123_subdomain_errors(value: str) -> list[str]:
    return _k8s_errors(value, 253, _DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com")


def _qualified_name_errors(value: str) -> list[str]:
    """apimachinery's IsQualifiedName: an optional DNS-subdomain prefix and ``/``, then a name of at most 63."""
    errs: list[str] = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs.extend("prefix part " + m for m in _dns1123_subdomain_errors(prefix))
    else:
        return [
            "a qualified name "
            + k8s_regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name.encode()) > 63:
        errs.append("name part " + _max_len(63))
    if not re.fullmatch(_QNAME_FMT, name):
        errs.append("name part " + k8s_regex_error(_QNAME_MSG, _QNAME_FMT, "MyName", "my.name", "123-abc"))
    return errs


def _label_value_errors(value: str) -> list[str]:
    return _k8s_errors(value, 63, _LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345")


def validate_labels(labels: Any) -> None:
    """At most 16 labels, keys and values as Kubernetes accepts them (Flyte Admin's validateLabels)."""
    values = dict(labels.values) if labels is not None else {}
    if len(values) > 16:
        raise invalid_argument("labels map cannot exceed 16 entries")
    for key, value in values.items():
        errs = _qualified_name_errors(key)
        if errs:
            raise invalid_argument(f"invalid label key [{echo(key)}]: {go_list(errs)}")
        errs = _label_value_errors(value)
        if errs:
            raise invalid_argument(f"invalid label value [{echo(value)}]: {go_list(errs)}")
