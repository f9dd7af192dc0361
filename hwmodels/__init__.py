"""Hardware cost models (area, energy, latency) of datapaths and machines.

So far: :class:`Cost` (area / energy / delay / leakage with a breakdown), technology-node scaling
(:mod:`hwmodels.scaling`, Stillmaker and Baas), FPGA resources of integer and exact-accumulation
minifloat MACs (:mod:`hwmodels.fpga`), and every published figure they use (:mod:`hwmodels.data`).
"""

from . import data, fpga, scaling
from .cost import Cost

__all__ = ["Cost", "data", "fpga", "scaling"]
