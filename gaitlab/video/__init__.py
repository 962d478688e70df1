"""Video files beside the data: probing and frame-accurate decoding (PyAV).

The only package that imports PyAV (``av``), below the session and the app.
"""
