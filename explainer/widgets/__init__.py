"""Interactive apps: ipywidgets controls wired to the engine and the pure figure functions.

The only part of the package that imports ipywidgets. Display an app object to show it.
"""

from .conv_explorer import ConvExplorer as ConvExplorer
from .exercise import ExerciseChecker as ExerciseChecker
from .exercise import GraphChecker as GraphChecker
from .exercise import check_exercise as check_exercise
from .exercise import check_graph as check_graph
from .explorer import BackpropExplorer as BackpropExplorer
from .graph_explorer import GraphExplorer as GraphExplorer
from .playground import Playground as Playground
from .quiz import Quiz as Quiz
from .rnn_explorer import RNNExplorer as RNNExplorer
from .surface_explorer import LossSurfaceExplorer as LossSurfaceExplorer
