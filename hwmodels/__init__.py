"""Hardware cost models (area, energy, latency) of datapaths and machines.

- :func:`mac_cost` prices one multiply-accumulate of a :class:`numsim.Datapath`;
- :mod:`hwmodels.units` holds the arithmetic-unit models it composes (adders, multipliers,
  shifters, FP units, accumulators, approximate multipliers, tensor-core adders);
- :class:`Tech` / :func:`get_tech`: primitive cells at 45 nm calibrated on Horowitz's table,
  node scaling (:mod:`hwmodels.scaling`, Stillmaker and Baas) and user tables;
- :class:`Cost`: area / energy / delay / leakage with a breakdown;
- :mod:`hwmodels.fpga`: LUT / FF / CARRY / DSP counts of a MAC on LUT6 FPGAs;
- :class:`SystolicArray` (:mod:`hwmodels.systolic`): cycles (SCALE-Sim-exact), SRAM/DRAM traffic,
  energy, area and roofline of a systolic array on :mod:`hwmodels.workloads` (GEMMs, convolutions,
  attention, ResNet / BERT / Llama layer lists, SCALE-Sim topology files);
- :class:`loopnest.Accelerator` (:mod:`hwmodels.loopnest`): Timeloop-style access counts, cycles
  and energy of a mapped convolution on a storage hierarchy (the Eyeriss-like design built in);
- :mod:`hwmodels.memory`: DRAM presets, banked SRAMs and register files; :mod:`hwmodels.pim`: bank-level PIM
  devices and the GEMV latency model; :mod:`hwmodels.decode`: transformer decode steps on GPU,
  AttAcc- (GPU + PIM) and NeuPIMs-style (NPU + PIM) systems;
- :mod:`hwmodels.data`: every published figure used, with its source, and
  :mod:`hwmodels.validation` comparing the models with each of them.
"""

from . import data, decode, fpga, loopnest, memory, pim, scaling, units, workloads
from .cost import Cost
from .mac import mac_cost
from .systolic import SystolicArray
from .tech import Cell, Tech, get_tech, load_tech

__all__ = ["Cell", "Cost", "SystolicArray", "Tech", "data", "decode", "fpga", "get_tech", "load_tech", "loopnest", "mac_cost", "memory", "pim", "scaling",
           "units", "workloads"]
