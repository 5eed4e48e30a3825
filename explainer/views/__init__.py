"""Views: pure functions from engine records, histories and surfaces to Plotly figures.

``plot_*`` returns a still ``go.Figure``; ``animate_*`` a ``go.Figure`` with frames. No widgets,
no training, no display calls here.
"""
