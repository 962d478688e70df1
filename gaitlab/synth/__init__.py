"""Synthetic data with known answers, written as real C3D files.

Modules
-------
forceplate_cases
    Force plates of TYPE 2, 3 and 4 under a known load (METHODS §1.10).
slip
    Spring-mass (SLIP) running reference (METHODS §8.2).
running
    A full running trial: SLIP runner, Plug-in-Gait markers, force plates, events.
"""
