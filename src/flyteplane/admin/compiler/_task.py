"""Task compilation: the checks of Flyte's ``task_compiler.go``, producing a ``CompiledTask``."""

from __future__ import annotations

import re

from flyteidl.core import compiler_pb2, tasks_pb2
from google.protobuf import json_format

from flyteplane.admin.compiler._errors import ErrorCode, _Errors

__all__ = ["compile_task", "is_dns1123_label", "is_k8s_quantity"]

# Kubernetes resource.Quantity syntax: a signed decimal number and an optional suffix, which is a binary SI
# multiplier (Ki..Ei), a decimal SI multiplier (m, k, M..E) or a decimal exponent (e3, E-2).
_QUANTITY = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[KMGTPE]i|[mkMGTPE]|[eE][+-]?\d+)?")

# RFC 1123 label, as k8s.io/apimachinery validation.IsDNS1123Label checks it (at most 63 characters).
_DNS1123_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?")


def is_k8s_quantity(value: str) -> bool:
    """Whether ``value`` parses as a Kubernetes quantity (``500m``, ``1Gi``, ``2``, ``1.5``, ``1e3``)."""
    return _QUANTITY.fullmatch(value) is not None


def is_dns1123_label(value: str) -> bool:
    """Whether ``value`` is a valid DNS-1123 label (what Kubernetes requires of container names)."""
    return len(value) <= 63 and _DNS1123_LABEL.fullmatch(value) is not None


def compile_task(template: tasks_pb2.TaskTemplate) -> compiler_pb2.CompiledTask:
    """Validate a task template and wrap it as ``CompiledTask{template}``.

    Checks, as Flyte's task compiler does, every one of them reported (not just the first):

    * ``id`` is set and ``type`` is not empty;
    * a container task whose interface has inputs or outputs has a ``command`` or ``args`` (something must read
      the inputs and write the outputs), has an ``image``, and every resource request/limit parses as a
      Kubernetes quantity;
    * a ``k8s_pod`` task's pod spec has the shape of a ``PodSpec`` and its container names are DNS-1123 labels.

    Raises:
        CompileError: listing every problem found.
    """
    errs = _Errors()
    if not template.HasField("id"):
        errs.add(ErrorCode.VALUE_REQUIRED, "root", "Value required [Id].")
    if not template.type:
        # Flyte Admin rejects this before compiling ("missing type"); it is checked here so the compiler alone
        # never accepts a template no plugin could run.
        errs.add(ErrorCode.VALUE_REQUIRED, "root", "Value required [type].")
    target = template.WhichOneof("target")
    if target == "container":
        _validate_container(template, errs.scope())
    elif target == "k8s_pod":
        _validate_k8s_pod(template.k8s_pod, errs.scope())
    errs.raise_if_any()
    compiled = compiler_pb2.CompiledTask()
    compiled.template.CopyFrom(template)
    return compiled


def _validate_container(template: tasks_pb2.TaskTemplate, errs: _Errors) -> None:
    container = template.container
    interface = template.interface
    has_io = bool(interface.inputs.variables) or bool(interface.outputs.variables)
    if has_io and not container.command and not container.args:
        errs.add(ErrorCode.VALUE_REQUIRED, "container", "Value required [command].")
    if not container.image:
        errs.add(ErrorCode.VALUE_REQUIRED, "container", "Value required [image].")
    for entry in (*container.resources.requests, *container.resources.limits):
        if not is_k8s_quantity(entry.value):
            known = tasks_pb2.Resources.ResourceName.DESCRIPTOR.values_by_number.get(entry.name)
            name = known.name if known is not None else str(entry.name)
            errs.add(ErrorCode.UNRECOGNIZED_VALUE, f"resources.{name}", f"Unrecognized value [{entry.value}].")


def _validate_k8s_pod(pod: tasks_pb2.K8sPod, errs: _Errors) -> None:
    spec = json_format.MessageToDict(pod.pod_spec) if pod.HasField("pod_spec") else {}
    containers = spec.get("containers", [])
    # Go unmarshals the struct into a v1.PodSpec; a struct that cannot be one is an invalid pod spec.
    if not isinstance(containers, list) or not all(isinstance(c, dict) for c in containers):
        errs.add(ErrorCode.INVALID_VALUE, "root", "Invalid value [k8s pod spec].")
        return
    for container in containers:
        name = container.get("name", "")
        if not isinstance(name, str):
            errs.add(ErrorCode.INVALID_VALUE, "root", "Invalid value [k8s pod spec].")
        elif not is_dns1123_label(name):
            errs.add(ErrorCode.INVALID_VALUE, "root", "Invalid value [k8s pod spec container name].")
