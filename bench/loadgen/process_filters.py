"""Filter plug-ins our server loads for the filtered scenario (``KURENTO_FILTER_PLUGINS``).

``SepiaProcessFilter``: the SepiaFilter example with ``isolation = "process"``: each
filter's numpy work runs in a child process of its own (``kurento.filters.process``),
out of the server's GIL. ``--filter sepia-process`` measures it beside ``sepia`` (a
worker thread in the server's process).
"""

from __future__ import annotations

from kurento.filters.examples import Sepia

MODULE = __name__  # what the server's filter_plugins setting names


class SepiaInAProcess(Sepia):
    """Module level: the child process imports it by name."""

    name = "SepiaProcessFilter"
    isolation = "process"


FILTERS = (SepiaInAProcess,)
# --filter spec → the remote class it makes (a plug-in class of this module)
SPECS = {"sepia-process": SepiaInAProcess.name}
