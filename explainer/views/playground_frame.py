"""What the Playground's picture shows at one moment, from the engine's objects: a ``playground_scene.Frame``.

Pure functions (no widgets, no training): each neuron's map over the plane as palette indices, the features'
maps, the points, the status lines and the loss chart, and the backward walk of one step (which layer is lit,
δ on its neurons, ∂L/∂w on its links, the chain rule and the update with their numbers). The app
(``explainer.widgets.playground``) calls them from its one render path; the tests call them for the reference.
"""

from __future__ import annotations

import copy

import numpy as np

from ..engine.boundary import pixel_centres, plane_maps
from ..engine.features import FEATURES, FeatureMap
from ..engine.network import Network, Record
from ..engine.session import TrainingSession
from .chain import explain_parameter
from .playground_scene import NODE_LIT, NODE_WALKED, chart_paths, class_indices, gradient_styles, signed_indices
from .style import fmt

CHART_POINTS = 120  # entries of the history the small loss chart draws (about one per 2.5 px)


def output_value(v: np.ndarray, task: str, discretize: bool) -> np.ndarray:
    """An output as a value on the signed scale: 2p − 1 for a probability, the value itself for a regression;
    ``discretize``: its sign only (TF Playground's "discretize output")."""
    v = 2 * v - 1 if task in ("binary", "multiclass") else v
    return np.where(v >= 0, 1.0, -1.0) if discretize else v


def neuron_grids(
    net: Network, features: FeatureMap, domain, task: str, discretize: bool, small: int, large: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every neuron's map (small × small, (n_units, R, R): hidden layers, then the outputs) and the output's map
    (large × large), as palette indices, rows from the top of the plane (the largest x₂) down."""
    x_range, y_range = domain[:2], domain[2:]
    few = plane_maps(net, features, x_range, y_range, small)
    many = plane_maps(net, features, x_range, y_range, large)
    layers = list(few.layers[:-1]) + [output_value(few.output, task, discretize)]
    grids = signed_indices(np.concatenate(layers)[:, ::-1])
    out = many.output[:, ::-1]  # (n_out, R, R), top row first
    if task == "multiclass":
        probs = np.moveaxis(out, 0, -1)
        if discretize:
            probs = np.eye(probs.shape[-1])[np.argmax(probs, axis=-1)]
        return grids, class_indices(probs)
    return grids, signed_indices(output_value(out[0], task, discretize))


def feature_grids(domain, resolution: int) -> np.ndarray:
    """Each of the seven features over the plane, (7, R, R) palette indices, scaled by its largest |value| there."""
    xs = pixel_centres(domain[0], domain[1], resolution)
    ys = pixel_centres(domain[2], domain[3], resolution)
    out = []
    for name in FEATURES:
        v = FeatureMap((name,)).on_grid(xs, ys)[:, 0].reshape(resolution, resolution)[::-1]
        out.append(signed_indices(v / (float(np.abs(v).max()) or 1.0)))
    return np.stack(out)


def point_arrays(ds, show_test: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points the map draws: (n, 2) float32 positions, (n,) palette indices, (n,) test flags; the training
    points, then (``show_test``) the test points."""
    parts = [(ds.X_train, ds.y_train, False)]
    if show_test and len(ds.y_test):
        parts.append((ds.X_test, ds.y_test, True))
    xy = np.concatenate([np.asarray(X, np.float32).reshape(-1, 2) for X, _, _ in parts])
    labels = np.concatenate([np.asarray(y, np.float64) for _, y, _ in parts])
    if ds.task == "multiclass":
        index = labels.astype(np.uint8)
    elif ds.task == "binary":
        index = signed_indices(np.where(labels >= 0.5, 0.8, -0.8))
    else:
        index = signed_indices(labels)
    return xy, index, np.concatenate([np.full(len(y), t, bool) for _, y, t in parts])


def loss_text(value: float | None) -> str:
    if value is None:
        return "—"
    if not np.isfinite(value):
        return "NaN" if np.isnan(value) else "∞"
    return f"{value:.4f}" if abs(value) < 1e4 else f"{value:.3g}"


def status_texts(session: TrainingSession | None, full_batch: bool, chart_box: dict) -> dict:
    """The three status lines (epoch and step, train loss as data + penalty, test loss) and the loss chart's
    paths (a log axis once the losses span over 100 ×, or the run diverged)."""
    if session is None:
        return {"status0": "no training points: click the map to add some", "status1": "", "status2": ""}
    last = session.latest()
    step, epochs = last["step"], last["epochs"]
    head = f"epoch {step:,}" if full_batch else f"epoch {int(epochs):,} · step {step:,}"
    texts = {"status0": f"{head} · η = {session.lr:.4g}"}
    data, penalty = last["train_loss"], last["penalty"]
    if session.penalty.active:
        texts["status1"] = (
            f"train loss {loss_text(data + penalty)} = {loss_text(data)} data + {loss_text(penalty)} penalty"
        )
    else:
        texts["status1"] = f"train loss {loss_text(data)}"
    test = last["test_loss"]
    texts["status2"] = "test loss " + (loss_text(test) if test is not None else "— (no test points)")
    h = session.display_history(CHART_POINTS)
    spread = h.train_loss[np.isfinite(h.train_loss) & (h.train_loss > 0)]
    log = bool(session.diverged or (spread.size and spread.max() > 100 * spread.min()))
    texts.update(chart_paths(h.steps, h.train_loss, h.test_loss, chart_box, log))
    return texts


# ---------------------------------------------------------------------------------------------- the backward walk
def lit_layers(stage: int, n_layers: int) -> tuple[int, ...]:
    """The layers (1-based) whose δ the walk shows at ``stage``, the output first (stage L: all, the update)."""
    return tuple(range(n_layers, n_layers - min(stage, n_layers - 1) - 1, -1))


def strongest_link(record: Record, layer: int) -> str:
    """The weight into ``layer`` with the largest |∂L/∂w|: the one a walk's panel shows first."""
    G = record.grad_weights[layer - 1]
    i, j = np.unravel_index(int(np.argmax(np.abs(G))), G.shape)
    return f"W{layer}[{i},{j}]"


def walk_styles(layout: dict, record: Record, sample: int, stage: int, texts: dict) -> tuple[np.ndarray, np.ndarray]:
    """(link styles, node frames) of the walk at ``stage``: the links into the lit layer by ∂L/∂w (all at the
    update), the others faded; the lit layer's frames bold, the walked ones marked; δ of the sample on each
    walked neuron (written into ``texts``)."""
    L = record.n_layers
    lit = lit_layers(stage, L)
    update = stage >= L
    grads = np.concatenate([g.T.ravel() for g in record.grad_weights])  # the layout's link order
    link_layer = np.array([link["layer"] for link in layout["links"]])
    on = np.ones(len(link_layer), bool) if update else link_layer == lit[-1]
    marks = np.zeros(len(layout["nodes"]), np.uint8)
    for n, node in enumerate(layout["nodes"]):
        layer = node["layer"]
        if layer in lit:
            marks[n] = NODE_LIT if (layer == lit[-1] and not update) else NODE_WALKED
            delta = float(record.deltas[layer - 1][sample, node["index"]])
            texts[f"note:{layer}:{node['index']}"] = f"δ = {fmt(delta, 3)}"
    return gradient_styles(grads, on, layout["scale"]), marks


def walk_panel(record: Record, sample: int, point: int, stage: int, selected: str | None, whole: bool,
               update_html: str) -> dict:  # fmt: skip
    """The walk's words: the caption (which sample, why), the panel (the stage, then the chain rule of the
    selected weight, or the update), what a screen reader hears, and the button's next label."""
    L, n = record.n_layers, record.n_samples
    batch = "the whole training set" if whole else f"this step's mini-batch of {n}"
    caption = (f"The walk follows training point {point + 1} (ringed on the map): of {batch}, the one with the "
               f"largest loss, Lₛ = {fmt(float(record.sample_losses[sample]), 4)}.")  # fmt: skip
    if stage < L:
        layer = L - stage
        where = "the output layer" if layer == L else f"hidden layer {layer}"
        head = (
            f"<b>Backward step {stage + 1} of {L}: {where}.</b> δ = ∂L/∂z on each of its neurons (for this "
            f"sample), ∂L/∂w on each link into it (over {batch}). Click a link to see its chain rule."
        )
        text = explain_parameter(record, selected, sample=sample) if selected else ""
        announce = f"Backward step {stage + 1} of {L}: δ of {where}"
        button = f"next: layer {layer - 1} ◀" if stage < L - 1 else "show the update"
    else:
        head = f"<b>The update.</b> Every weight moves against its gradient, over {batch}:"
        text, announce, button = (
            update_html,
            "The update: every weight moves against its gradient",
            ("apply the update and go on"),
        )
    return {"caption": caption, "panel": f"<p>{head}</p>{text}", "announce": announce, "button": button}


def update_html(record: Record, net: Network, session: TrainingSession, key: str) -> str:
    """The update of weight ``key`` with its numbers: the data gradient, the penalty's, and the optimiser's step
    (taken on a copy of its state: exactly what applying it will do)."""
    i = net.index_of(key)
    theta = net.parameters
    g_data = record.gradient_vector()
    pen = session.penalty
    g = g_data + pen.gradient(theta)
    opt = copy.deepcopy(session.optimizer)
    new = theta.copy()
    opt.step(new, g.copy(), net.trainable_mask.astype(float))
    parts = [f"<b>{key}</b>: ∂L_data/∂w = {fmt(float(g_data[i]))}"]
    if pen.active:
        term = "λ·sign(w)" if pen.kind == "l1" else "λ·w"
        parts.append(f"penalty {term} = {fmt(float(pen.gradient(theta)[i]))} (λ = {pen.rate:g}), so ∂L/∂w = "
                     f"{fmt(float(g[i]))}")  # fmt: skip
    if opt.name == "sgd":
        parts.append(f"w ← w − η·∂L/∂w = {fmt(float(theta[i]))} − {session.lr:g} × {fmt(float(g[i]))} = "
                     f"{fmt(float(new[i]))}")  # fmt: skip
    else:
        parts.append(f"{opt.name} scales the step by its running averages: w goes from {fmt(float(theta[i]))} to "
                     f"{fmt(float(new[i]))}")  # fmt: skip
    parts.append("Press <b>apply the update and go on</b> to take this step.")
    return "".join(f"<p>{p}</p>" for p in parts)


__all__ = [
    "feature_grids",
    "lit_layers",
    "loss_text",
    "neuron_grids",
    "output_value",
    "point_arrays",
    "status_texts",
    "strongest_link",
    "update_html",
    "walk_panel",
    "walk_styles",
]
