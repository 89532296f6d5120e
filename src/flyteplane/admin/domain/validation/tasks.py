"""CreateTask's checks of the task template, with Flyte Admin's messages (``validation/task_validator.go``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from flyteidl.core import identifier_pb2, tasks_pb2
from google.protobuf import json_format

from flyteplane.admin.domain.validation.common import id_text, require
from flyteplane.admin.errors import echo, invalid_argument

__all__ = ["parse_quantity", "validate_task_template"]


def validate_task_template(
    task_id: identifier_pb2.Identifier,
    template: tasks_pb2.TaskTemplate,
    whitelist: Mapping[str, tuple[str, ...]] | None,
) -> None:
    """Flyte Admin's template checks, in its order: type, whitelist (task type -> projects allowed to use it),
    metadata, runtime, interface, then the target: a container's image and resources, a pod's pod spec."""
    require(template.type, "type")
    _check_whitelist(task_id, template.type, whitelist)
    if not template.HasField("metadata"):
        raise invalid_argument("missing metadata")
    if template.metadata.HasField("runtime"):
        require(template.metadata.runtime.version, "runtime version")
    if not template.HasField("interface"):
        raise invalid_argument("missing typed interface")
    target = template.WhichOneof("target")
    if target == "container":
        require(template.container.image, "image")
        if template.container.HasField("resources"):
            _validate_resources(task_id, template.container.resources)
    elif target == "k8s_pod":
        # Flyte Admin's validateK8sPod: a K8sPod target is only a pod task with the pod to run.
        if not template.k8s_pod.HasField("pod_spec"):
            raise invalid_argument(
                "invalid TaskSpecification, pod tasks should specify their target as a K8sPod with a defined pod spec"
            )
        _validate_pod_resources(task_id, template.k8s_pod)


def _check_whitelist(
    task_id: identifier_pb2.Identifier, task_type: str, whitelist: Mapping[str, tuple[str, ...]] | None
) -> None:
    if whitelist is None:
        return
    projects = whitelist.get(task_type)
    if not projects:  # types the whitelist does not mention are allowed everywhere
        return
    if "" in projects or task_id.project in projects:
        return
    raise invalid_argument("task type must be whitelisted before use")


# --- container resources ---------------------------------------------------------------------------------------------

# Kubernetes quantities: a decimal number and an optional suffix (binary, decimal SI or exponent).
_QUANTITY = re.compile(r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(.*)$")
_QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
_EXPONENT = re.compile(r"^[eE]([+-]?[0-9]+)$")


def parse_quantity(text: str) -> Fraction:
    """A Kubernetes resource quantity (``500m``, ``2Gi``, ``1e3``) as an exact number; ValueError as k8s words it."""
    match = _QUANTITY.match(text.strip())
    if not match:
        raise ValueError(_QUANTITY_FORMAT_ERROR)
    number, suffix = Fraction(match.group(1)), match.group(2)
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    exponent = _EXPONENT.match(suffix)
    if exponent:
        return number * Fraction(10) ** int(exponent.group(1))
    raise ValueError("unable to parse quantity's suffix")


def _ceil(value: Fraction) -> int:
    return -((-value.numerator) // value.denominator)


_RESOURCE_NAMES = tasks_pb2.Resources.ResourceName
_CHECKED_RESOURCES = (
    tasks_pb2.Resources.CPU,
    tasks_pb2.Resources.MEMORY,
    tasks_pb2.Resources.GPU,
    tasks_pb2.Resources.EPHEMERAL_STORAGE,
)


def _quantities(task_id: identifier_pb2.Identifier, entries: Any) -> dict[int, tuple[Fraction, str]]:
    found: dict[int, tuple[Fraction, str]] = {}
    for entry in entries:
        if entry.name not in _CHECKED_RESOURCES:
            continue
        label = _RESOURCE_NAMES.Name(entry.name)
        if entry.name in found:
            raise invalid_argument(f"can't specify {label} limit for task [{id_text(task_id)}] multiple times")
        try:
            quantity = parse_quantity(entry.value)
        except ValueError as e:
            raise invalid_argument(
                f"Parsing of {label} request failed for value {entry.value} - reason  {e}. Please follow K8s "
                "conventions for resources https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/"
            ) from None
        if entry.name == tasks_pb2.Resources.GPU and _ceil(quantity * 1000) % 1000 != 0:
            raise invalid_argument(f"gpu for [{id_text(task_id)}] must be a whole number, got: {entry.value} instead")
        found[entry.name] = (quantity, entry.value)
    return found


def _validate_resources(task_id: identifier_pb2.Identifier, resources: tasks_pb2.Resources) -> None:
    """Requests parse, do not exceed the limits, and GPU requests equal GPU limits (whole units compared, as
    Kubernetes' ``Quantity.Value()`` rounds up)."""
    _check_requests_within_limits(
        task_id, _quantities(task_id, resources.requests), _quantities(task_id, resources.limits)
    )


# The Flyte resources a pod container's are checked as. Flyte Admin maps Kubernetes' names onto Flyte's
# (resourceListToQuantity): ephemeral-storage renamed, then upper-cased; others (nvidia.com/gpu...) are unchecked.
_POD_RESOURCE_NAMES = {
    "CPU": tasks_pb2.Resources.CPU,
    "MEMORY": tasks_pb2.Resources.MEMORY,
    "GPU": tasks_pb2.Resources.GPU,
    "EPHEMERAL_STORAGE": tasks_pb2.Resources.EPHEMERAL_STORAGE,
}


def _pod_quantities(container: str, kind: str, entries: Any) -> dict[int, tuple[Fraction, str]]:
    found: dict[int, tuple[Fraction, str]] = {}
    if not isinstance(entries, dict):
        return found
    for name, value in entries.items():
        resource = _POD_RESOURCE_NAMES.get("EPHEMERAL_STORAGE" if name == "ephemeral-storage" else name.upper())
        if resource is None:
            continue
        text = value if isinstance(value, str) else format(value, "g")
        try:
            found[resource] = (parse_quantity(text), text)
        except ValueError as e:
            # Flyte Admin fails to read such a pod spec into a v1.PodSpec and answers INTERNAL.
            raise invalid_argument(
                f"invalid pod spec: container [{echo(container)}] {kind} {name} [{echo(text)}]: {e}"
            ) from None
    return found


def _validate_pod_resources(task_id: identifier_pb2.Identifier, pod: tasks_pb2.K8sPod) -> None:
    """Each container's requests against its limits, as for a container target (Flyte Admin's validateK8sPod). A
    pod spec that is not shaped like one is the compiler's to report."""
    containers = json_format.MessageToDict(pod.pod_spec).get("containers")
    if not isinstance(containers, list):
        return
    for container in containers:
        if not isinstance(container, dict) or not isinstance(container.get("resources"), dict):
            continue
        name = str(container.get("name", ""))
        resources = container["resources"]
        _check_requests_within_limits(
            task_id,
            _pod_quantities(name, "requests", resources.get("requests")),
            _pod_quantities(name, "limits", resources.get("limits")),
        )


def _check_requests_within_limits(
    task_id: identifier_pb2.Identifier,
    requests: dict[int, tuple[Fraction, str]],
    limits: dict[int, tuple[Fraction, str]],
) -> None:
    for name, (requested, requested_text) in requests.items():
        if name not in limits:
            continue
        limit, limit_text = limits[name]
        if name == tasks_pb2.Resources.GPU:
            if _ceil(requested) != _ceil(limit):
                raise invalid_argument(
                    "For extended resource 'gpu' the default value must equal the limit value for task "
                    f"[{id_text(task_id)}]"
                )
        elif _ceil(limit) < _ceil(requested):
            raise invalid_argument(
                f"Requested {_RESOURCE_NAMES.Name(name)} default [{requested_text}] is greater than the limit "
                f"[{limit_text}]. Please fix your configuration"
            )
