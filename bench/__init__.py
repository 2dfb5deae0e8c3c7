"""Benchmarks of TrialBridge over real HTTP (issue 8): ``make bench``. See bench/README.md."""
