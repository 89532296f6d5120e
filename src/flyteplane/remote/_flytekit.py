"""flytekit entities in FlyteRemote: serialized by flytekit, when it is installed, and registered by flyteplane.

flytekit is never a dependency: this module imports it only when handed an object whose class comes from it.
"""

from __future__ import annotations

import sys
from typing import Any

from flyteidl.core import identifier_pb2

from flyteplane.errors import FlyteAssertion

__all__ = ["is_flytekit_entity", "serialize", "type_hints", "wants_default_launch_plan"]

_KINDS = {"TaskSpec": "task", "WorkflowSpec": "workflow", "LaunchPlan": "launch plan"}


def is_flytekit_entity(obj: Any) -> bool:
    """Whether ``obj`` is a flytekit task, workflow or launch plan (without importing flytekit)."""
    if "flytekit" not in sys.modules:
        return False
    return any(klass.__module__.startswith("flytekit.") for klass in type(obj).__mro__[:-1])


def serialize(
    entity: Any, settings: Any, version: str | None, project: str, domain: str
) -> list[tuple[str, identifier_pb2.Identifier, Any]]:
    """``(kind, identifier, spec message)`` for the entity and everything it needs, in registration order."""
    from collections import OrderedDict

    from flytekit.configuration import ImageConfig, SerializationSettings
    from flytekit.tools.translator import get_serializable

    if settings is None:
        if not version:
            raise FlyteAssertion(
                f"registering the flytekit entity {getattr(entity, 'name', entity)!r} needs a version: pass version=..."
            )
        settings = SerializationSettings(
            image_config=ImageConfig.auto_default_image(), project=project, domain=domain, version=version
        )
    elif version:
        import dataclasses

        settings = dataclasses.replace(settings, version=version)
    mapping: OrderedDict[Any, Any] = OrderedDict()
    get_serializable(mapping, settings, entity)
    out: list[tuple[str, identifier_pb2.Identifier, Any]] = []
    for model in mapping.values():
        kind = _KINDS.get(type(model).__name__)
        if kind is None:
            continue  # nodes, branch nodes and reference entities are not registered on their own
        pb = model.to_flyte_idl()
        ident = pb.id if kind == "launch plan" else pb.template.id
        spec = pb.spec if kind == "launch plan" else pb
        out.append((kind, ident, spec))
    # flytekit puts each entity after what it depends on; the entity asked for goes last.
    if not out:
        raise FlyteAssertion(f"flytekit produced nothing to register for {entity!r}")
    return out


def wants_default_launch_plan(entity: Any, ident: identifier_pb2.Identifier) -> bool:
    """Whether ``ident`` is the workflow the caller registered (its default launch plan is registered with it)."""
    return bool(getattr(entity, "name", None) == ident.name)


def type_hints(entity: Any) -> dict[str, type]:
    """The Python types of a flytekit entity's inputs and outputs, by name."""
    interface = getattr(entity, "python_interface", None)
    if interface is None:
        return {}
    return {**dict(interface.inputs), **dict(interface.outputs)}
