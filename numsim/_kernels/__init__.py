"""Private Numba kernels. Public functions in :mod:`numsim` validate arguments and call these."""
