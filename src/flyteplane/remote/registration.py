"""Registration of FlyteRemote as operations (see :mod:`flyteplane.remote._io`): TaskSpec / WorkflowSpec /
LaunchPlan messages or models, and flytekit entities (serialized as blocking local work, an ``Offload``) -- one
implementation for the blocking and the asyncio FlyteRemote.

Registering the same definition again is success (CreateTask / CreateWorkflow / CreateLaunchPlan answer
ALREADY_EXISTS); a different definition under a registered version is refused with a message that says so (Flyte
Admin's CreateTask / CreateWorkflow answer INVALID_ARGUMENT "... with a different structure already exists").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flyteidl.admin import launch_plan_pb2, task_pb2
from flyteidl.admin import workflow_pb2 as admin_workflow_pb2
from flyteidl.core import identifier_pb2
from google.protobuf.message import Message

from flyteplane.clients import operations as requests
from flyteplane.errors import FlyteAssertion, FlyteEntityAlreadyExistsException, FlyteInvalidInputException
from flyteplane.models._model import to_pb
from flyteplane.remote._io import Call, Offload, Op
from flyteplane.remote.catalog import Catalog
from flyteplane.remote.entities import FlyteLaunchPlan, FlyteTask, FlyteWorkflow
from flyteplane.remote.launch import Launcher
from flyteplane.remote.listing import Listing
from flyteplane.remote.options import Options

__all__ = ["Registrar"]

log = logging.getLogger("flyteplane.remote")

_TASK, _WORKFLOW, _LAUNCH_PLAN = identifier_pb2.TASK, identifier_pb2.WORKFLOW, identifier_pb2.LAUNCH_PLAN
_CREATE = {"task": "create_task", "workflow": "create_workflow", "launch plan": "create_launch_plan"}
_BUILD: dict[str, Callable[[Any, Any], Message]] = {
    "task": requests.create_task,
    "workflow": requests.create_workflow,
    "launch plan": requests.create_launch_plan,
}


class Registrar:
    """Registers tasks, workflows and launch plans, and returns them as fetched back from Flyte Admin."""

    def __init__(self, catalog: Catalog, launcher: Launcher, listing: Listing) -> None:
        self._catalog = catalog
        self._launcher = launcher
        self._listing = listing

    def complete_id(
        self, pb: Any, resource_type: int, version: str | None, project: str | None, domain: str | None
    ) -> identifier_pb2.Identifier:
        """An entity's identifier with what it leaves out taken from the arguments and the defaults."""
        scope = self._catalog.scope
        out = identifier_pb2.Identifier()
        out.CopyFrom(pb)
        out.resource_type = resource_type  # type: ignore[assignment]
        out.project = project or out.project or scope.project or ""
        out.domain = domain or out.domain or scope.domain or ""
        if version:
            out.version = version
        missing = [f for f in ("project", "domain", "name", "version") if not getattr(out, f)]
        if missing:
            raise FlyteAssertion(f"cannot register [{out.name or '?'}]: its identifier has no {', '.join(missing)}")
        return out

    def create(self, kind: str, ident: identifier_pb2.Identifier, spec: Any) -> Op[None]:
        """Register one entity: an identical one already there is success; a different one is an error."""
        try:
            yield Call(_CREATE[kind], _BUILD[kind](ident, spec))
        except FlyteEntityAlreadyExistsException:
            log.debug("%s %s is already registered", kind, ident.name)
        except FlyteInvalidInputException as e:
            if "different structure already exists" not in (e.details or ""):
                raise
            raise FlyteEntityAlreadyExistsException(
                f"{kind} {ident.project}:{ident.domain}:{ident.name} version {ident.version} is already registered "
                f"with a different definition; register the change under a new version. Flyte Admin: {e.details}",
                rpc=e.rpc,
                entity=e.entity,
                code=e.code,
                details=e.details,
            ) from e

    def workflow(self, ident: identifier_pb2.Identifier) -> Op[FlyteWorkflow]:
        """A registered workflow with its compiled closure."""
        return FlyteWorkflow.promote_from_closure((yield from self._catalog.workflow_closure(ident)))

    def _spec(
        self,
        kind: str,
        entity: Any,
        spec_type: type[Any],
        resource_type: int,
        version: str | None,
        project: str | None,
        domain: str | None,
    ) -> Op[identifier_pb2.Identifier]:
        """Register a TaskSpec / WorkflowSpec, or the template it wraps, under its completed identifier."""
        pb = to_pb(entity)
        spec = spec_type()
        if isinstance(pb, spec_type):
            spec.CopyFrom(pb)
        else:
            spec.template.CopyFrom(pb)
        ident = self.complete_id(spec.template.id, resource_type, version, project, domain)
        spec.template.id.CopyFrom(ident)
        yield from self.create(kind, ident, spec)
        return ident

    def register_task(
        self, entity: Any, settings: Any, version: str | None, project: str | None, domain: str | None
    ) -> Op[FlyteTask]:
        """Register a task (TaskSpec or TaskTemplate, model or message, or a flytekit task); returns it."""
        from flyteplane.remote import _flytekit

        if _flytekit.is_flytekit_entity(entity):
            ident = yield from self.register_flytekit(entity, settings, version, project, domain, None)
            return (yield from self._catalog.fetch_task(ident.project, ident.domain, ident.name, ident.version))
        ident = yield from self._spec("task", entity, task_pb2.TaskSpec, _TASK, version, project, domain)
        return FlyteTask.from_flyte_idl((yield from self._catalog.task_template(ident)))

    def register_workflow(
        self,
        entity: Any,
        settings: Any,
        version: str | None,
        default_launch_plan: bool,
        options: Options | None,
        project: str | None,
        domain: str | None,
    ) -> Op[FlyteWorkflow]:
        """Register a workflow (WorkflowSpec or WorkflowTemplate, or a flytekit workflow with what it uses) and,
        with ``default_launch_plan``, its default launch plan."""
        from flyteplane.remote import _flytekit

        if _flytekit.is_flytekit_entity(entity):
            ident = yield from self.register_flytekit(entity, settings, version, project, domain, options)
        else:
            spec_type = admin_workflow_pb2.WorkflowSpec
            ident = yield from self._spec("workflow", entity, spec_type, _WORKFLOW, version, project, domain)
        workflow = yield from self.workflow(ident)
        if default_launch_plan:
            yield from self._launcher.create_default_launch_plan(workflow, options)
        return workflow

    def register_launch_plan(
        self,
        entity: Any,
        version: str | None,
        project: str | None,
        domain: str | None,
        options: Options | None,
        settings: Any,
    ) -> Op[FlyteLaunchPlan]:
        """Register a launch plan (a LaunchPlan with id and spec, model or message, or a flytekit launch plan)."""
        from flyteplane.remote import _flytekit

        if _flytekit.is_flytekit_entity(entity):
            ident = yield from self.register_flytekit(entity, settings, version, project, domain, options)
        else:
            pb = to_pb(entity)
            if not isinstance(pb, launch_plan_pb2.LaunchPlan):
                raise FlyteAssertion(
                    f"register_launch_plan takes a LaunchPlan (with id and spec), not {type(entity).__name__}"
                )
            ident = self.complete_id(pb.id, _LAUNCH_PLAN, version, project, domain)
            spec = launch_plan_pb2.LaunchPlanSpec()
            spec.CopyFrom(pb.spec)
            if options is not None:
                options.apply_to_launch_plan(spec)
            yield from self.create("launch plan", ident, spec)
            if getattr(entity, "auto_activate", False):
                yield from self._listing.set_launch_plan_state(ident, active=True)
        return self._catalog.launch_plan((yield from self._catalog.launch_plan_message(ident, cached=False)))

    def register_flytekit(
        self,
        entity: Any,
        settings: Any,
        version: str | None,
        project: str | None,
        domain: str | None,
        options: Options | None,
    ) -> Op[identifier_pb2.Identifier]:
        """Serialize a flytekit entity (blocking local work) and register it after everything it uses; returns
        its identifier."""
        from flyteplane.remote import _flytekit

        project, domain = self._catalog.scope.resolve(project, domain)
        registrations = yield Offload(lambda: _flytekit.serialize(entity, settings, version, project, domain))
        for kind, ident, spec in registrations:
            if kind == "launch plan" and options is not None:
                options.apply_to_launch_plan(spec)
            yield from self.create(kind, ident, spec)
            if kind == "workflow" and _flytekit.wants_default_launch_plan(entity, ident):
                workflow = yield from self.workflow(ident)
                yield from self._launcher.create_default_launch_plan(workflow, options)
        return registrations[-1][1]  # type: ignore[no-any-return]
