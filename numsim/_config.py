"""Run-time switches for the Numba kernels, read once from the environment.

``NUMSIM_JIT_CACHE``
    ``1`` (default) stores compiled kernels on disk next to their source (``__pycache__``) so that
    later processes load instead of compiling. Set ``0`` to disable the cache, e.g. after a Numba
    upgrade leaves a stale cache or on a read-only install.
"""

from __future__ import annotations

import os

JIT_CACHE: bool = os.environ.get("NUMSIM_JIT_CACHE", "1").strip().lower() not in {"0", "false", "no", "off"}
