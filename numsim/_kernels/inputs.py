"""Read-only views of kernel inputs.

Numba types an array by its dtype, layout *and* writability, so one kernel called with a writable
array here and a read-only one there (a cached decode table, a broadcast operand, a user's frozen
array) is compiled twice. Public functions hand every input-only array through :func:`read_only`,
which costs no copy, so each kernel has one specialization per dtype and rank.
"""

from __future__ import annotations

import numpy as np


def read_only(*arrays: np.ndarray):
    """Read-only views of ``arrays`` (one array: the view itself; several: a tuple).

    >>> import numpy as np
    >>> read_only(np.zeros(3)).flags.writeable
    False
    """
    views = []
    for arr in arrays:
        view = arr.view()
        view.flags.writeable = False
        views.append(view)
    return views[0] if len(views) == 1 else tuple(views)
