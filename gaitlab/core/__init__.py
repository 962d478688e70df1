"""The science core: trial model, landmarks, body model, kinetics and results.

The bottom layer: numpy and scipy only, no file formats, storage or Qt. SI
units throughout (m, s, N, kg; angles in degrees).
"""
