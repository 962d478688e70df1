"""Synthetic data with known answers, written as real C3D files.

Modules
-------
forceplate_cases
    Force plates of TYPE 2, 3 and 4 under a known load (METHODS §1.10).
slip
    Spring-mass (SLIP) running reference (METHODS §8.2).
body
    Full-body model: de Leva segments, joint centres, Plug-in-Gait markers made
    by inverting gaitlab's joint-centre conventions, segmental COM.
posture
    The body running on the SLIP: lean/bend/foot-strike knobs, foot paths, and
    the per-sample mid-hip solve that makes the segmental COM the SLIP COM.
running
    Running trials (full-body markers, force plates, events) and a standing
    static trial, with their known answers.
lean_cases
    Analytic lean cases of METHODS §8.3 (constant acceleration, falling
    inverted pendulum).
labframe
    Lab frames (up axis, direction of progression) of the synthetic data.
demo
    The bundled demo trials in ``data/``.
"""
