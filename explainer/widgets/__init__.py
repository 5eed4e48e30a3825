"""Interactive apps: ipywidgets controls wired to the engine and the pure figure functions.

The only part of the package that imports ipywidgets. Display an app object to show it.
"""

from .explorer import BackpropExplorer as BackpropExplorer
from .surface import LossSurfaceExplorer as LossSurfaceExplorer
