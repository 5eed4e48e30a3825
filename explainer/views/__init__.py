"""Views: pure functions from engine records, histories and surfaces to Plotly figures.

``plot_*`` returns a still ``go.Figure``; ``animate_*`` a ``go.Figure`` with frames. No widgets,
no training, no display calls here.
"""

from .derivation import worked_derivation as worked_derivation
from .graph import plot_neuron_graph as plot_neuron_graph
from .network import animate_backward as animate_backward
from .network import animate_forward as animate_forward
from .network import plot_network as plot_network
