"""flytekit image builder ``flyteplane``: ImageSpec images for ``flyteplane sandbox``, as local virtual environments.

``ImageSpec(name="mine", packages=["six"], builder="flyteplane")`` makes registration (``pyflyte run --remote``,
``pyflyte register``, ``FlyteRemote.register_*``) record the spec in the sandbox's state directory instead of
building a container image; the sandbox builds a virtual environment from it the first time a task with that image
runs (see :mod:`flyteplane.admin.image_records` for why the spec must be recorded: a task template carries only the
image's name). The state directory is ``$FLYTEPLANE_SANDBOX_STATE_DIR``, else ``~/.flyteplane/sandbox`` (the
sandbox's default), so this builder serves a sandbox on the registering machine only.

flytekit loads this module as a plugin (the ``flytekit.plugins`` entry point); importing it registers the builder.
What a virtual environment cannot hold (conda or apt packages, CUDA, a base image, commands, copied files) is
refused at registration, with the reason.
"""

from __future__ import annotations

import os
from pathlib import Path

from flytekit.image_spec.image_spec import ImageBuildEngine, ImageSpec, ImageSpecBuilder

from flyteplane.admin.image_records import IMAGES_DIR, ImageRecord, write_record

__all__ = ["BUILDER_TYPE", "STATE_DIR_ENV", "SandboxImageBuilder", "record_of"]

BUILDER_TYPE = "flyteplane"
STATE_DIR_ENV = "FLYTEPLANE_SANDBOX_STATE_DIR"
_UNSUPPORTED = (
    "conda_packages",
    "conda_channels",
    "apt_packages",
    "cuda",
    "cudnn",
    "base_image",
    "commands",
    "copy",
    "entrypoint",
)


def record_of(spec: ImageSpec) -> ImageRecord:
    """What the sandbox needs of ``spec``; ValueError for the parts a virtual environment cannot honor."""
    unsupported = [name for name in _UNSUPPORTED if getattr(spec, name, None)]
    if unsupported:
        raise ValueError(
            f"ImageSpec [{spec.name}]: the flyteplane builder makes a local virtual environment, which cannot honor "
            f"{', '.join(unsupported)}; use a container image builder, or map the image to a Python with "
            "`flyteplane sandbox --image NAME=PYTHON`"
        )
    requirements = Path(spec.requirements).read_text() if spec.requirements else None
    return ImageRecord(
        image=spec.image_name(),
        spec_id=spec.id,
        tag=spec.tag,
        python_version=spec.python_version,
        packages=tuple(spec.packages or ()),
        requirements=requirements,
        pip_index=spec.pip_index,
        pip_extra_index_url=tuple(spec.pip_extra_index_url or ()),
        pip_extra_args=spec.pip_extra_args,
        env=dict(spec.env or {}),
    )


class SandboxImageBuilder(ImageSpecBuilder):
    """Records ImageSpecs for the sandbox (``builder="flyteplane"``)."""

    builder_type = BUILDER_TYPE

    def should_build(self, image_spec: ImageSpec) -> bool:
        # Recording is cheap and idempotent; there is no registry to ask whether the image exists.
        return True

    def build_image(self, image_spec: ImageSpec) -> None:
        state_dir = Path(os.environ.get(STATE_DIR_ENV) or "~/.flyteplane/sandbox").expanduser()
        write_record(state_dir / IMAGES_DIR, record_of(image_spec))
        return None  # the image keeps its name: the sandbox finds the record by it


# Priority 0: never chosen unless asked for by name (flytekit picks the highest-priority builder by default).
ImageBuildEngine.register(BUILDER_TYPE, SandboxImageBuilder(), priority=0)
