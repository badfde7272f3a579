// Beta-binomial statistics kernels (log-pmf, exact two-sided p-values): see src/stats.
