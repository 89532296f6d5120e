"""The main job: start an embedded Flyte Admin in this process, run the seed's client example against it, then run a
typed Python function through FlyteRemote's interactive mode and print its outputs.

    python examples/quickstart.py

No Docker, no Kubernetes, nothing to configure: the admin listens on a free loopback port and keeps its state
in memory; the seed example (examples/seed_sync_client.py) and the interactive example (examples/interactive.py) both
run against it, told where it is by ``FLYTE_ADMIN_ENDPOINT``.
"""

import os
import runpy
import sys
import time
from pathlib import Path

from flyteplane.admin import AdminServer

started = time.perf_counter()
with AdminServer() as admin:
    print(f"Embedded Flyte Admin serving on {admin.endpoint} (started in {time.perf_counter() - started:.2f} s)")
    os.environ["FLYTE_ADMIN_ENDPOINT"] = admin.endpoint
    runpy.run_path(str(Path(__file__).with_name("seed_sync_client.py")), run_name="__main__")
    runpy.run_path(str(Path(__file__).with_name("interactive.py")), run_name="__main__")
sys.exit(0)
