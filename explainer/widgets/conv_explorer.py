"""ConvExplorer: a small image, a 3×3 kernel whose cells you edit, the feature map, and the backward pass step by step.

The app's state (``ConvState``: the image's name, the kernel's nine numbers, the bias, the loss, the max-pool and
the step of the backward pass) is the one source of truth. ``explainer.course.patterns.conv_pass`` turns it into
the forward and backward records, and ``explainer.views.conv_diagram`` draws them: every panel is redrawn from
the state by ``_render``. A number row only *asks* for a value; what it can display never reaches the engine.
"""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np
import traitlets

from .._validate import one_of
from ..course.patterns import CONV_LOSSES, KERNELS, PATTERNS, ConvPass, conv_pass, get_kernel, get_pattern
from ..views.conv_diagram import (
    cell_keys,
    cell_text,
    conv_diagram,
    conv_stages,
    next_part,
    stage_caption,
    step_panel,
)
from ..views.diagram import plain_text
from ..views.style import fmt_plain, get_theme
from .app import check_bool, set_if_changed, set_traits, trait_values
from .sliders import Row, row, widened
from .staged import StagedApp

KERNEL_RANGE = 3.0  # a kernel cell's slider spans ±3, widened to hold any value the state has
MAX_VALUE = 1e6  # a kernel entry or the bias: beyond, the squares of the loss lose every digit that matters
OWN = "own"  # the kernel menu's entry for numbers the learner typed
LOSS_LABELS = {"target": "½‖out − T‖², T from a target kernel", "sum": "Σ out: the output itself (δ = 1)"}


class ConvState(traitlets.HasTraits):
    """What the explorer shows besides the kernel's numbers: validated on every change."""

    pattern = traitlets.Unicode("vertical_edge")
    kernel_name = traitlets.Unicode("identity")  # the preset the kernel came from, or OWN once edited
    bias = traitlets.Float(0.0)
    loss = traitlets.Unicode("target")
    target = traitlets.Unicode("sobel_vertical")
    pool = traitlets.Bool(False)
    stage = traitlets.Any(None)  # None: the whole backward pass; a ConvStage: the pass up to that step
    selected = traitlets.Unicode(None, allow_none=True)  # a cell key: "dK[0,1]", "x[2,3]", "b", …

    @traitlets.validate("pattern")
    def _check_pattern(self, proposal):
        return get_pattern(proposal["value"]).name

    @traitlets.validate("kernel_name")
    def _check_kernel_name(self, proposal):
        return proposal["value"] if proposal["value"] == OWN else get_kernel(proposal["value"]).name

    @traitlets.validate("loss")
    def _check_loss(self, proposal):
        return one_of(proposal["value"], CONV_LOSSES, "loss")

    @traitlets.validate("target")
    def _check_target(self, proposal):
        return get_kernel(proposal["value"]).name

    @traitlets.validate("bias")
    def _check_bias(self, proposal):
        return _finite(proposal["value"], "bias")


def _finite(value, argument: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not np.isfinite(value):
        raise ValueError(f"{argument} must be a finite number; got {value!r}")
    if abs(value) > MAX_VALUE:
        raise ValueError(f"{argument} must be a number between −10⁶ and 10⁶; got {value!r}")
    return float(value)


class ConvExplorer(StagedApp):
    """A convolution's backward pass on a small image, one number at a time, with every sum written out.

    ``ConvExplorer()`` starts on a vertical edge, the identity kernel and the target the Sobel kernel gives;
    ``pattern`` is one of ``explainer.course.patterns.PATTERNS`` (edges, a diagonal, a cross, the digits 7
    and 1, a checkerboard), ``kernel`` a name in ``KERNELS`` or any 3×3 numbers, ``bias`` a number, ``loss``
    "target" (L = ½ Σ (out − T)², T = what the kernel ``target`` gives) or "sum" (L = Σ out: δ = 1), ``pool``
    a 2×2 max-pool after the convolution. ``theme``: "auto" (follow JupyterLab), "light" or "dark".

    Public: ``lesson`` (the ``ConvPass``: records of the convolution and the pool), ``record`` (the
    convolution's), ``kernel``, ``stage`` (the step shown, an index of ``stages``, or None for the whole pass),
    ``stages``, ``selected``, ``controls`` (``"K[0,0]"`` … ``"K[2,2]"`` and ``"b"``: number rows whose
    ``.value`` you may set as a learner would; menus and buttons by name), ``step_backward(±1)``,
    ``next_part()``, ``whole_pass()``, ``select(key)``, ``set_kernel(name or array)``, ``reset()``,
    ``scene``, ``panel`` (the side panel's HTML), ``picture()``, ``state()``/``set_state()``, ``close()``.
    """

    FORWARD = "on through the backward pass"

    def _stages(self, lesson) -> tuple:
        return conv_stages(lesson)

    def __init__(
        self,
        pattern: str = "vertical_edge",
        kernel="identity",
        *,
        bias: float = 0.0,
        loss: str = "target",
        target: str = "sobel_vertical",
        pool: bool = False,
        lecture: bool = False,
        theme: str = "auto",
    ):
        super().__init__(lecture=lecture, theme=theme)
        self.state_ = ConvState()
        st = self.state_
        st.pattern = pattern
        self._kernel, st.kernel_name = _kernel_of(kernel)
        st.bias = bias
        st.loss = loss
        st.target = target
        st.pool = check_bool(pool, "pool")
        self._lesson: ConvPass = self._compute()  # the caller's errors, said at the door
        self._start = self.state()
        self._build()
        self._render_all()
        if self._good is None:
            raise ValueError(self._error)

    # ------------------------------------------------------------------ the state
    def _compute(self) -> ConvPass:
        st = self.state_
        return conv_pass(
            get_pattern(st.pattern).array, self._kernel, st.bias, loss=st.loss, target_kernel=st.target, pool=st.pool
        )

    def _snapshot(self):
        return dict(traits=trait_values(self.state_), kernel=self._kernel.copy())

    def _restore(self, snap) -> None:
        self._kernel = snap["kernel"].copy()
        set_traits(self.state_, snap["traits"])

    # ------------------------------------------------------------------ building (once)
    def _build(self) -> None:
        c, own = self.controls, self._own

        button = self._button

        def menu(description: str, options) -> W.Dropdown:
            return own(W.Dropdown(options=options, description=description, style={"description_width": "initial"}))

        c["pattern"] = menu("image", [(p.title, n) for n, p in PATTERNS.items()])
        c["kernel"] = menu("kernel", [(k.title, n) for n, k in KERNELS.items()])
        c["loss"] = menu("loss", [(LOSS_LABELS[k], k) for k in CONV_LOSSES])
        c["target"] = menu("target T from", [(k.title, n) for n, k in KERNELS.items()])
        c["pool"] = own(
            W.ToggleButton(description="then a 2×2 max-pool", icon="th-large", layout=W.Layout(width="auto"))
        )
        self._look_controls()
        self._build_stage_parts(
            conv_diagram(self._lesson, theme="light"),
            step="Compute one more number of the backward pass",
            whole="Every gradient at once",
            reset="Back to the start: image, kernel, bias, loss",
        )
        c["next"] = button("next part ▶▶", "Jump to the next part: δ, the pool, ∂L/∂K, ∂L/∂b, ∂L/∂x")

        c["pattern"].observe(lambda ch: self._on_menu(lambda: self._set_pattern(ch["new"])), "value")
        c["kernel"].observe(lambda ch: self._on_menu(lambda: self._kernel_menu(ch["new"])), "value")
        c["loss"].observe(lambda ch: self._on_menu(lambda: setattr(self.state_, "loss", ch["new"])), "value")
        c["target"].observe(lambda ch: self._on_menu(lambda: setattr(self.state_, "target", ch["new"])), "value")
        c["pool"].observe(lambda ch: self._on_menu(lambda: setattr(self.state_, "pool", bool(ch["new"]))), "value")
        c["next"].on_click(lambda _: self._gesture(self.next_part))

        self._lay_out(
            [
                [c["pattern"], c["kernel"], c["pool"], c["theme"], c["lecture"]],
                [c["loss"], c["target"]],
                [c["back"], c["step"], c["next"], c["whole"], c["reset"]],
            ],
            [self.diagram_widget],
        )

    # ------------------------------------------------------------------ public API
    @property
    def lesson(self) -> ConvPass:
        """The forward and backward pass drawn now (pending updates are applied first)."""
        self.flush()
        return self._lesson

    @property
    def record(self):
        """The convolution's record (``explainer.conv.Conv2dRecord``) of the pass drawn now."""
        return self.lesson.conv

    @property
    def kernel(self) -> np.ndarray:
        """A copy of the kernel's numbers, (3, 3)."""
        self.flush()
        return self._kernel.copy()

    def next_part(self) -> None:
        """Jump to the first step of the next part (δ, the pool, ∂L/∂K, ∂L/∂b, ∂L/∂x); after ∂L/∂x, the whole pass."""
        self._check_open()
        self.flush()
        k = next_part(self._lesson, self._stage_index(self._lesson))
        self.state_.stage = None if k is None else conv_stages(self._lesson)[k]
        self._request()

    def select(self, key: str) -> None:
        """Select a cell (``"dK[0,1]"``, ``"x[2,3]"``, ``"b"``…): the side panel writes its sum; a kernel cell's
        number row is marked, to type into."""
        self._check_open()
        self.flush()
        cell_text(self._lesson, key)  # ValueError naming the key when it is no cell of this diagram
        self.state_.selected = key
        self._request()

    def set_kernel(self, kernel) -> None:
        """A named kernel (``KERNELS``: identity, sobel_vertical, sobel_horizontal, blur, sharpen) or 3×3 numbers."""
        self._check_open()
        self._kernel, self.state_.kernel_name = _kernel_of(kernel)
        self._request()

    def reset(self) -> None:
        """Back to the start: the image, kernel, bias, loss and pool the app was made with, the whole pass shown."""
        self._check_open()
        lecture = self.lecture
        self._note = "Back to the start."
        self.set_state({**self._start, "lecture": lecture})

    def picture(self) -> str:
        """The diagram as a standalone SVG (what GitHub shows of this app's cell)."""
        self.flush()
        return self.diagram_widget.scene.svg()

    def state(self) -> dict:
        st = self.state_
        return {
            "pattern": st.pattern,
            "kernel": self._kernel.tolist(),
            "kernel_name": st.kernel_name,
            "bias": st.bias,
            "loss": st.loss,
            "target": st.target,
            "pool": st.pool,
            "lecture": self.lecture,
        }

    def set_state(self, state: dict) -> None:
        """Take a state from ``state()`` (or a file from ``save_state``): all of it, or nothing if any part is bad."""
        self._check_state(state)
        try:
            trial = ConvState()
            trial.pattern = state["pattern"]
            kernel, name = _kernel_of(state["kernel"])
            trial.kernel_name = state.get("kernel_name", name) if name == OWN else name
            trial.bias = state.get("bias", 0.0)
            trial.loss = state.get("loss", "target")
            trial.target = state.get("target", "sobel_vertical")
            trial.pool = check_bool(state.get("pool", False), "pool")
            lecture = check_bool(state.get("lecture", False), "lecture")
        except (KeyError, TypeError, ValueError, traitlets.TraitError) as err:
            raise ValueError(f"state is missing or has a malformed entry: {err}") from None
        if trial.kernel_name != OWN and not np.array_equal(kernel, get_kernel(trial.kernel_name).array):
            trial.kernel_name = OWN
        with self.state_.hold_trait_notifications():
            for k in ("pattern", "kernel_name", "bias", "loss", "target", "pool"):
                setattr(self.state_, k, getattr(trial, k))
            self.state_.stage = None
            self.state_.selected = None
        self._kernel = kernel
        if lecture != self.lecture:
            self.set_lecture(lecture)
        self._request()

    # ------------------------------------------------------------------ gestures
    def _on_number(self, key: str, value: float) -> None:
        """A learner moved (or typed into) the number row ``key``: a kernel cell or the bias."""
        if key == "b":
            self.state_.bias = _finite(value, "b")
            return
        i, j = (int(t) for t in key[2:-1].split(","))
        kernel = self._kernel.copy()
        kernel[i, j] = _finite(value, key)
        self._kernel = kernel
        self.state_.kernel_name = _name_of(kernel)

    def _set_pattern(self, name: str) -> None:
        self.state_.pattern = name

    def _kernel_menu(self, name: str) -> None:
        if name != OWN:
            self.set_kernel(name)

    # ------------------------------------------------------------------ drawing: everything from the state
    def _render(self) -> None:
        st = self.state_
        lesson = self._compute()
        k = self._stage_index(lesson)
        if st.stage is not None and k is None:
            st.stage = None  # a step this image or this pool does not have
        if st.selected is not None and st.selected not in cell_keys(lesson):
            st.selected = None
        scene = conv_diagram(lesson, stage=k, selected=st.selected, theme=self.drawing_theme, lecture=self.lecture)
        self._lesson = lesson
        th = get_theme(self.drawing_theme)
        self.diagram_widget.show(scene, accent=th.accent)
        if st.selected is not None:
            self.diagram_widget.announce = plain_text(scene.hovers[st.selected]).replace("\n", " ")
        else:
            self.diagram_widget.announce = stage_caption(lesson, k)
        set_if_changed(self.panel_widget, "value", step_panel(lesson, k, st.selected))
        n = len(conv_stages(lesson))
        where = "the whole backward pass" if k is None else f"backward step {k + 1} of {n}"
        set_if_changed(
            self.status,
            "value",
            f'<div class="bpx-loss">L = {html.escape(fmt_plain(lesson.loss_value, 6))}</div><div>{where}</div>',
        )
        self._show_numbers()
        self._drawing = True
        try:
            self._show_menus(k, n)
        finally:
            self._drawing = False

    def _show_numbers(self) -> None:
        st = self.state_
        rows = []
        for i in range(3):
            for j in range(3):
                key = f"K[{i},{j}]"
                v = float(self._kernel[i, j])
                rows.append(
                    row(
                        key,
                        key,
                        v,
                        *widened(v, -KERNEL_RANGE, KERNEL_RANGE),
                        0.1,
                        group="kernel K: drag or type",
                        selected=st.selected in (key, f"dK[{i},{j}]"),
                    )  # fmt: skip
                )
        b = st.bias
        rows.append(row("b", "bias b", b, *widened(b, -KERNEL_RANGE, KERNEL_RANGE), 0.1, group="bias",
                        selected=st.selected in ("b", "db")))  # fmt: skip
        self._sliders.set_rows(rows)
        for r in rows:
            self.controls.setdefault(r["key"], Row(self._sliders, r["key"]))

    def _show_menus(self, k: int | None, n: int) -> None:
        c, st = self.controls, self.state_
        set_if_changed(c["pattern"], "value", st.pattern)
        kernels = [(kk.title, name) for name, kk in KERNELS.items()]
        if st.kernel_name == OWN:
            kernels = [("(your own numbers)", OWN), *kernels]
        set_if_changed(c["kernel"], "options", kernels)
        set_if_changed(c["kernel"], "value", st.kernel_name)
        set_if_changed(c["loss"], "value", st.loss)
        set_if_changed(c["target"], "value", st.target)
        c["target"].layout.display = None if st.loss == "target" else "none"
        set_if_changed(c["pool"], "value", st.pool)
        self._show_stage_controls(k, n)


def _kernel_of(kernel) -> tuple[np.ndarray, str]:
    """A kernel argument as (3×3 float array, its KERNELS name or OWN); ValueError naming ``kernel`` otherwise."""
    if isinstance(kernel, str):
        k = get_kernel(kernel)
        return np.array(k.array), k.name
    try:
        arr = np.array(kernel, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"kernel must be a name in {', '.join(KERNELS)} or 3×3 numbers; got {kernel!r}") from None
    if arr.shape != (3, 3):
        raise ValueError(f"kernel must be a name in {', '.join(KERNELS)} or 3×3 numbers; got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.abs(arr).max() > MAX_VALUE:
        raise ValueError("kernel must hold finite numbers between −10⁶ and 10⁶")
    return arr, _name_of(arr)


def _name_of(kernel: np.ndarray) -> str:
    for name, k in KERNELS.items():
        if np.array_equal(kernel, k.array):
            return name
    return OWN


__all__ = ["ConvExplorer", "ConvState"]
