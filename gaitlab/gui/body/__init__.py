"""The body view's parts: what it draws (Qt-free) and how it paints it.

- :mod:`~gaitlab.gui.body.declared`: the angles and lines the plugins
  declare, the figure's segments. No Qt.
- :mod:`~gaitlab.gui.body.prepared`: everything drawn for one trial
  (:class:`~gaitlab.gui.body.prepared.PreparedBody`), the caption. numpy
  only, no Qt.
- :mod:`~gaitlab.gui.body.figure`: the figure at one instant (points, lines,
  angles at the cursor) and the stance side. numpy only, no Qt.
- :mod:`~gaitlab.gui.body.painter`: the pyqtgraph item painting a figure.

The widget is :class:`gaitlab.gui.views.body_view.BodyView`.
"""
