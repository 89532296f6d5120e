"""What a task's image would tell its process, for an image that is recorded, not pulled.

The engine runs every task in its own Python environment, which stands for every image. One thing flytekit learns
from the image itself is which ImageSpec built it: flytekit's image builders bake ``ENV _F_IMG_ID=<ImageSpec.id>``
into the image, and ``ImageSpec.is_container()`` is true in a task only when that variable equals the spec's id
(flytekit's ``image_spec.py``), so that code under ``if spec.is_container():`` (imports of what only the image has)
runs there and nowhere else.

The engine sees only the image's name. ImageSpec names its image ``[registry/]name:tag`` with ``tag =
id.replace("-", "_")`` (unless a ``tag_format`` is given), where the id is 22 characters of URL-safe base64 (an MD5
digest). A tag without ``_`` therefore gives the id back exactly, and the engine sets ``_F_IMG_ID`` to it. A tag
with ``_`` could come from several ids (each ``_`` was ``-`` or ``_``), and a wrong guess would make
``is_container()`` answer for another image: the engine sets nothing and says so in the attempt's log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["IMAGE_ID_VARIABLE", "ImageEnv", "image_env"]

IMAGE_ID_VARIABLE = "_F_IMG_ID"
"""The variable flytekit's image builders bake into an ImageSpec's image (``flytekit.image_spec.image_spec``)."""

# base64url of 16 bytes without padding: 21 characters, then one that carries only 2 bits (A, Q, g or w). In the
# tag, "-" became "_".
_SPEC_TAG = re.compile(r"[A-Za-z0-9_]{21}[AQgw]")


@dataclass(frozen=True)
class ImageEnv:
    """The environment an image gives its process, and what the engine could not tell about it."""

    env: dict[str, str]
    note: str = ""


def image_env(image: str) -> ImageEnv:
    """The ImageSpec id ``image`` was built from (as ``_F_IMG_ID``), when its name says so unambiguously."""
    tag = _tag_of(image)
    if tag is None or not _SPEC_TAG.fullmatch(tag):
        return ImageEnv({})
    if "_" not in tag:
        return ImageEnv({IMAGE_ID_VARIABLE: tag})
    note = (
        f"image {image} looks like an ImageSpec's, but its tag could come from {2 ** tag.count('_')} ImageSpec ids "
        f"(ImageSpec writes each '-' of its id as '_'): {IMAGE_ID_VARIABLE} is not set, so ImageSpec.is_container() "
        "is False in this task"
    )
    return ImageEnv({}, note)


def _tag_of(image: str) -> str | None:
    if "@" in image:
        return None  # pinned by digest: no tag to read
    name = image.rsplit("/", 1)[-1]
    if ":" not in name:
        return None
    return name.rsplit(":", 1)[1]
