"""What the sandbox knows of ImageSpec images: the specs its ``flyteplane`` image builder recorded.

A task template names its image only (``<registry>/<name>:<tag>``, the tag being the ImageSpec's hash); flytekit
does not put the spec (packages, requirements) in the template, and sets ``_F_IMG_ID`` only in the image it builds.
So the admin cannot tell from a template what an ImageSpec image holds. ``flyteplane``'s flytekit image builder
(:mod:`flyteplane.imagespec`, ``ImageSpec(builder="flyteplane")``) therefore records each spec, when flytekit
"builds" it at registration, as ``<state dir>/images/specs/<sha256 of the image name>.json``; the engine finds the
record of a task's image there and builds a virtual environment from it (:mod:`flyteplane.admin.engine.
environments`).

Only the standard library is used: the builder runs inside flytekit's registration.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["IMAGES_DIR", "ImageRecord", "read_record", "record_path", "write_record"]

IMAGES_DIR = "images"
"""The images' directory in the state directory (``specs/``: records, ``venvs/``: built environments)."""


@dataclass(frozen=True)
class ImageRecord:
    """The parts of an ImageSpec a local virtual environment can honor."""

    image: str
    """The image name the task templates carry (``ImageSpec.image_name()``)."""
    spec_id: str
    """``ImageSpec.id``: what flytekit's ``ImageSpec.is_container()`` compares with ``_F_IMG_ID``."""
    tag: str
    """``ImageSpec.tag``: the spec's hash (requirements' content included), which names the environment."""
    python_version: str | None = None
    packages: tuple[str, ...] = ()
    requirements: str | None = None
    """The requirements file's content (the file is the registering user's)."""
    pip_index: str | None = None
    pip_extra_index_url: tuple[str, ...] = ()
    pip_extra_args: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ImageRecord:
        data: dict[str, Any] = json.loads(text)
        known = {f.name for f in dataclasses.fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        for name in ("packages", "pip_extra_index_url"):
            data[name] = tuple(data.get(name) or ())
        data["env"] = {str(k): str(v) for k, v in (data.get("env") or {}).items()}
        return cls(**data)


def record_path(images_dir: Path, image: str) -> Path:
    """Where the record of ``image`` lives under ``images_dir`` (``<state dir>/images``)."""
    return images_dir / "specs" / f"{hashlib.sha256(image.encode()).hexdigest()[:40]}.json"


def write_record(images_dir: Path, record: ImageRecord) -> Path:
    """Record ``record`` (atomically; directories ``0700``, the file ``0600``); return its path."""
    path = record_path(images_dir, record.image)
    for directory in (images_dir, path.parent):
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".", dir=path.parent)
    with os.fdopen(fd, "w") as f:
        f.write(record.to_json())
    os.replace(tmp, path)
    return path


def read_record(images_dir: Path, image: str) -> ImageRecord | None:
    """The record of ``image``; None if none was made (not an image of the ``flyteplane`` builder)."""
    try:
        text = record_path(images_dir, image).read_text()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return ImageRecord.from_json(text)
