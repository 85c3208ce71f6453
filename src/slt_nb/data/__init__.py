"""Datasets: the common manifest, one loader per released format, the frame sampler, statistics."""
