"""Views: pure functions from engine records, histories and surfaces to Plotly figures.

``plot_*`` returns a still ``go.Figure``; ``animate_*`` a ``go.Figure`` with frames. No widgets,
no training, no display calls here.
"""

from .chain import explain_parameter as explain_parameter
from .derivation import worked_derivation as worked_derivation
from .efficiency import plot_gradient_costs as plot_gradient_costs
from .efficiency import plot_gradient_norms_by_activation as plot_gradient_norms_by_activation
from .graph import plot_neuron_graph as plot_neuron_graph
from .network import animate_backward as animate_backward
from .network import animate_forward as animate_forward
from .network import plot_network as plot_network
from .surface import animate_descent as animate_descent
from .surface import plot_loss_surface as plot_loss_surface
from .training import plot_decision_boundary as plot_decision_boundary
from .training import plot_gradient_norms as plot_gradient_norms
from .training import plot_loss_curve as plot_loss_curve
