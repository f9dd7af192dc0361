"""Hardware cost models (area, energy, latency) of datapaths and machines."""
