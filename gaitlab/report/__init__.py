"""Runner reports and figures (matplotlib, the ``report`` extra).

Modules
-------
figures
    Matplotlib figures of metrics, comparisons and lean curves (Qt-free).
html
    The self-contained HTML runner report of ``gaitlab report``.
"""
