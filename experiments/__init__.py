"""Design-space exploration on top of numsim and hwmodels: sweeps, Pareto fronts, plots and the CLI."""
