"""TASDsim design-space exploration, regression and reports (run with /usr/bin/python3).

Modules: sweep (sweep files and their expansion), identity (config hashes), execute (one point:
tasdsim run into its own folder, metrics), runner (resumable local or Dask execution, table),
table (CSV/Parquet, Pareto fronts, area from synthesis), plots, report, regress (golden stats).
"""
