"""Static stand-ins for the live apps, installed inside the kernel that ``scripts/export.py`` runs.

An exported page has no kernel, so ipywidgets cannot run there: a live app would export as an empty
box. ``install()`` makes every explainer app (and a bare ``go.FigureWidget``) display, in this kernel
only, what it can show without one:

- a Quiz: its questions and options, each answer and explanation folded in a ``<details>`` element;
- the LossSurfaceExplorer: its ``snapshot()``, a Plotly figure that still hovers, zooms and plays its own ▶;
- the Playground: trained TRAIN_STEPS steps first (a lecture shows a trained network), its picture and its setup;
- any other app: its ``picture()``, the SVG the live app draws (what GitHub shows of its cell);
- an app without a picture: the text of its HTML parts;

followed by one line saying the live controls need JupyterLab or Voilà. Nothing here changes how the
apps behave in JupyterLab, Voilà or the tests: ``install()`` is called only by the exporter.
"""

from __future__ import annotations

import html

NOTE_CLASS = "bpx-export-note"  # the exporter's tests look for this class
# Apps whose snapshot() plays with plotly's own ▶ in the page (the descent over the loss surface): that, rather
# than their still picture.
PLAYS = ("LossSurfaceExplorer",)
# Apps that train: exported after TRAIN_STEPS steps (a lecture shows a trained network), with their setup listed.
TRAINS = ("Playground",)
TRAIN_STEPS = 1000


def install() -> None:
    """Make every app and FigureWidget display its static form in this kernel."""
    import plotly.graph_objects as go

    from explainer.widgets import app  # every app derives from App

    app.App._ipython_display_ = _display_app
    go.FigureWidget._ipython_display_ = _display_figure_widget


def _display_app(app) -> None:
    from IPython.display import HTML, SVG, display

    name = type(app).__name__
    if hasattr(app, "questions"):  # a Quiz: the answers folded in <details>, which a still picture cannot do
        display(HTML(quiz_html(app.questions)))
        what = "the questions of"
    elif name in PLAYS:
        display(app.snapshot())
        what = "a static snapshot of"
    elif name in TRAINS:  # a step-0 Playground says nothing in a lecture: train it, then show it and its setup
        if app.session is not None and app.session.steps_done == 0:
            app.train(TRAIN_STEPS)
        display(SVG(app.picture()))
        display(HTML(setup_html(app)))
        what = f"a picture, after {app.session.steps_done:,} training steps, of"
    elif picture := app.picture():
        display(SVG(picture))
        what = "a picture of"
    else:
        display(HTML(widget_text_html(app.root)))
        what = "the text of"
    display(HTML(note_html(name, what)))


def _display_figure_widget(widget) -> None:
    import plotly.graph_objects as go
    from IPython.display import display

    display(go.Figure(widget.to_dict()))


def note_html(name: str, what: str) -> str:
    """The line under a stand-in: what the reader sees and where the live app runs."""
    return (
        f'<p class="{NOTE_CLASS}" style="font-style: italic; color: #555;">Above: {what} the live '
        f"<code>{html.escape(name)}</code> app. Its controls need a running kernel: open this notebook in "
        "JupyterLab (<code>make lab</code>) or Voilà to use them.</p>"
    )


def setup_html(app) -> str:
    """The Playground's controls as one line of text: what the picture was trained with, and where it got."""
    s, last = app.settings, app.session.latest()
    hidden = " × ".join(map(str, s.hidden)) or "none"
    parts = [
        f"data: {s.dataset} ({s.n_samples} points, {s.test_fraction:.0%} held out, noise {s.noise:g})",
        f"features: {', '.join(s.features)}",
        f"hidden layers: {hidden}, {s.activation}",
        f"{s.optimizer}, η = {s.lr:g}, batch {s.batch_size or 'all'}",
        f"regularisation: {s.regularization}" + (f" ({s.reg_rate:g})" if s.regularization != "none" else ""),
        f"step {last['step']:,}: train loss {last['train_loss']:.4f}"
        + (f", test loss {last['test_loss']:.4f}" if last.get("test_loss") is not None else ""),
    ]
    return f'<p class="bpx-export-setup">{html.escape(" · ".join(parts))}</p>'


def quiz_html(questions) -> str:
    """Each question with its options; the answer and explanation folded away until clicked."""
    parts = ['<div class="bpx-export-quiz">']
    for i, q in enumerate(questions, start=1):
        options = "".join(f"<li>{html.escape(text)}</li>" for text in q.options)
        parts.append(
            f"<p><b>{i}. {html.escape(q.prompt)}</b></p><ol>{options}</ol>"
            f"<details><summary>Answer</summary><p><b>{html.escape(q.correct_option)}</b> — "
            f"{html.escape(q.explanation)}</p></details>"
        )
    parts.append("</div>")
    return "".join(parts)


def widget_text_html(widget) -> str:
    """The HTML and label texts of a widget tree, in order (style sheets left out)."""
    import ipywidgets as W

    if getattr(widget.layout, "display", None) == "none":  # hidden (a folded solution): hidden here too
        return ""
    if isinstance(widget, W.Box):
        return "".join(widget_text_html(child) for child in widget.children)
    if isinstance(widget, (W.HTML, W.HTMLMath)):
        value = widget.value or ""
        return "" if value.lstrip().startswith("<style") else f"<div>{value}</div>"
    if isinstance(widget, W.Label):
        return f"<div>{html.escape(widget.value)}</div>"
    return ""
