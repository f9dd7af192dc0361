"""Design-space exploration: sweeps of datapaths x machines x workloads, accuracy tasks, cost
evaluations, Pareto fronts, plots and the ``numsim`` command line.

>>> import experiments as ex
>>> spec = ex.load_spec("quickstart")
>>> len(spec.points()), spec.maximize
(45, ('gemm_sqnr_db',))
"""

from .engine import run_sweep
from .pareto import hypervolume, knee_point, pareto_front, pareto_mask
from .spec import Evaluation, Range, SweepSpec, builtin_configs, load_spec

__all__ = ["Evaluation", "Range", "SweepSpec", "builtin_configs", "hypervolume", "knee_point", "load_spec", "pareto_front",
           "pareto_mask", "run_sweep"]
