"""Tasks that report what their process sees: secrets, variables, working directory, interpreter.

Registered by ``tests/admin/engine/test_task_env.py`` with fast registration (``FlyteRemote.register_script``), so
the admin unpacks this file into each attempt's directory; nothing else puts it on the task's ``PYTHONPATH``.
"""

from __future__ import annotations

import json
import os
import stat
import sys

from flytekit import ImageSpec, Secret, current_context, task, workflow

GROUP = "fp-test"
ENV_KEY = "Env_Key"  # mixed case: flytekit upper-cases variable names and lower-cases file names
FILE_KEY = "File_Key"
VERSION = "v2"
MISSING_KEY = "absent"
OTHER_IMAGE = "localhost/flyteplane-other:1"
TERMCOLOR = ImageSpec(name="flyteplane-termcolor", packages=["termcolor"], builder="flyteplane")


def _where() -> dict[str, str]:
    return {"cwd": os.getcwd(), "module": os.path.abspath(__file__), "python": sys.executable}


@task(
    secret_requests=[
        Secret(group=GROUP, key=ENV_KEY, mount_requirement=Secret.MountType.ENV_VAR),
        Secret(group=GROUP, key=FILE_KEY, mount_requirement=Secret.MountType.FILE),
        Secret(group=GROUP, key=FILE_KEY, group_version=VERSION, mount_requirement=Secret.MountType.ANY),
    ]
)
def read_secrets() -> str:
    secrets = current_context().secrets
    path = secrets.get_secrets_file(GROUP, FILE_KEY)
    return json.dumps(
        {
            "env_value": secrets.get(GROUP, ENV_KEY),
            "file_value": secrets.get(GROUP, FILE_KEY),
            "versioned_value": secrets.get(GROUP, FILE_KEY, group_version=VERSION),
            "env_names": sorted(k for k in os.environ if k.startswith("_FSEC_")),
            "file_path": path,
            "file_mode": oct(stat.S_IMODE(os.stat(path).st_mode)),
            "dir_mode": oct(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode)),
            **_where(),
        }
    )


@task(secret_requests=[Secret(group=GROUP, key=MISSING_KEY)])
def needs_missing_secret() -> str:
    return current_context().secrets.get(GROUP, MISSING_KEY)


@task
def report() -> str:
    return json.dumps(
        {
            "names": sorted(os.environ),
            "canary": os.environ.get("FLYTEPLANE_SECRET_CANARY"),
            "given": os.environ.get("GIVEN_TO_TASKS"),
            "pythonpath": os.environ.get("PYTHONPATH", ""),
            "path": os.environ.get("PATH", ""),
            **_where(),
        }
    )


@task(container_image=OTHER_IMAGE)
def other_image_report() -> str:
    return json.dumps(_where())


@task(container_image=TERMCOLOR)
def imagespec_report() -> str:
    import termcolor

    return json.dumps(
        {
            "termcolor": termcolor.__file__,
            "img_id": os.environ.get("_F_IMG_ID"),
            "in_image": TERMCOLOR.is_container(),
            **_where(),
        }
    )


@workflow
def wf_secrets() -> str:
    return read_secrets()


@workflow
def wf_missing() -> str:
    return needs_missing_secret()


@workflow
def wf_report() -> str:
    return report()


@workflow
def wf_other_image() -> str:
    return other_image_report()


@workflow
def wf_imagespec() -> str:
    return imagespec_report()
