"""Hardware cost models (area, energy, latency) of datapaths and machines.

- :func:`mac_cost` prices one multiply-accumulate of a :class:`numsim.Datapath`;
- :mod:`hwmodels.units` holds the arithmetic-unit models it composes (adders, multipliers,
  shifters, FP units, accumulators, approximate multipliers, tensor-core adders);
- :class:`Tech` / :func:`get_tech`: primitive cells at 45 nm calibrated on Horowitz's table,
  node scaling (:mod:`hwmodels.scaling`, Stillmaker and Baas) and user tables;
- :class:`Cost`: area / energy / delay / leakage with a breakdown;
- :mod:`hwmodels.fpga`: LUT / FF / CARRY / DSP counts of a MAC on LUT6 FPGAs;
- :mod:`hwmodels.data`: every published figure used, with its source, and
  :mod:`hwmodels.validation` comparing the models with each of them.
"""

from . import data, fpga, scaling, units
from .cost import Cost
from .mac import mac_cost
from .tech import Cell, Tech, get_tech, load_tech

__all__ = ["Cell", "Cost", "Tech", "data", "fpga", "get_tech", "load_tech", "mac_cost", "scaling", "units"]
