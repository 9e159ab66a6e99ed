"""Overcast's benchmarks: each prints figures as ratios to a limit measured in the same run."""
