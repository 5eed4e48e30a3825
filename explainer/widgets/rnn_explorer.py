"""RNNExplorer: a tanh RNN unrolled over T steps, backpropagation through time one step per click, ‖∂L/∂hₜ‖ per step.

The app's state (``RNNState``: the task, T, the scale s of W_hh = s·Q, the size of the inputs, the clipping and
the step of the backward pass) is the one source of truth. ``explainer.course.sequences.rnn_pass`` turns it
into the engine's record (``explainer.rnn.rnn_backprop``), and ``explainer.views.rnn_diagram`` draws it: the
unrolled diagram, the norm figure and the side panel are all redrawn from the state by ``_render``.
"""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np
import traitlets

from .._validate import one_of
from ..course.sequences import RNN_PRESETS, TASKS, RNNPass, get_rnn_preset, rnn_pass
from ..views.diagram import plain_text
from ..views.rnn_diagram import (
    MAX_DRAWN_STEPS,
    node_keys,
    node_text,
    norm_figure,
    rnn_diagram,
    rnn_stages,
    stage_caption,
    step_panel,
)
from ..views.style import fmt_plain, get_theme
from .app import check_bool, set_if_changed, set_traits, trait_values
from .live_figure import LiveFigure
from .sliders import Row, row, widened
from .staged import StagedApp

OWN = "own"  # the preset menu's entry once a setting differs from every preset
SCALE_RANGE = (0.1, 3.0)  # the s row's range (a typed value up to 10 is taken, shown beyond it)
CLIP_EXPONENTS = (-3.0, 3.0)  # the cap's row moves in log₁₀
AMPLITUDE_EXPONENTS = (-6.0, 1.0)
TASK_LABELS = {k: f"task: {v}" for k, v in TASKS.items()}


class RNNState(traitlets.HasTraits):
    """The explorer's settings, validated on every change (the engine and the course check them again)."""

    preset = traitlets.Unicode("sine")
    task = traitlets.Unicode("sine")
    n_steps = traitlets.Int(10)
    scale = traitlets.Float(1.0)
    amplitude = traitlets.Float(1.0)
    clip_on = traitlets.Bool(False)
    clip = traitlets.Float(1.0)
    seed = traitlets.Int(0)
    stage = traitlets.Any(None)  # None: the whole pass; an RNNStage: BPTT up to that step
    selected = traitlets.Unicode(None, allow_none=True)  # "h:3", "x:1", "y:5", "link:4"

    @traitlets.validate("preset")
    def _check_preset(self, proposal):
        return proposal["value"] if proposal["value"] == OWN else get_rnn_preset(proposal["value"]).name

    @traitlets.validate("task")
    def _check_task(self, proposal):
        return one_of(proposal["value"], TASKS, "task")

    @traitlets.validate("n_steps")
    def _check_steps(self, proposal):
        T = proposal["value"]
        if not 1 <= T <= MAX_DRAWN_STEPS:
            raise ValueError(f"T must be a whole number from 1 to {MAX_DRAWN_STEPS} (what the diagram draws); got {T}")
        return T

    @traitlets.validate("scale")
    def _check_scale(self, proposal):
        s = proposal["value"]
        if not np.isfinite(s) or not 0 < s <= 10:
            raise ValueError(f"s must be a number > 0 and ≤ 10 (W_hh = s·Q); got {s!r}")
        return s

    @traitlets.validate("amplitude")
    def _check_amplitude(self, proposal):
        a = proposal["value"]
        if not np.isfinite(a) or not 1e-8 <= a <= 100:
            raise ValueError(f"A must be a number from 10⁻⁸ to 100 (the size of the inputs); got {a!r}")
        return a

    @traitlets.validate("clip")
    def _check_clip(self, proposal):
        c = proposal["value"]
        if not np.isfinite(c) or not 0 < c <= 1e12:
            raise ValueError(f"c must be a number > 0 and ≤ 10¹² (the largest ‖∂L/∂hₜ‖ kept); got {c!r}")
        return c

    @traitlets.validate("seed")
    def _check_seed(self, proposal):
        if not 0 <= proposal["value"] < 2**32:
            raise ValueError(f"seed must be an integer from 0 to 2³² − 1; got {proposal['value']!r}")
        return proposal["value"]


SETTINGS = ("task", "n_steps", "scale", "amplitude", "clip_on", "clip")


class RNNExplorer(StagedApp):
    """Backpropagation through time in a small tanh RNN: ∂L/∂hₜ step by step, vanishing, exploding, clipped.

    ``RNNExplorer()`` starts on the sine task (predict the next value, a loss at every step); ``preset`` is one
    of ``explainer.course.sequences.RNN_PRESETS`` (sine, vanishing, exploding, clipped), and any of ``task``
    ("sine" or "remember"), ``n_steps`` (T, 1 to 12), ``scale`` (s in W_hh = s·Q, Q orthogonal: how much
    W_hh stretches), ``amplitude`` (the size of the inputs), ``clip`` (None, or the cap on ‖∂L/∂hₜ‖) given
    here wins over the preset's. ``seed`` draws the sequence and the weights. ``theme``: "auto", "light", "dark".

    Public: ``lesson`` (the ``RNNPass``), ``record`` (the engine's ``RNNRecord``), ``stage`` (the step shown, an
    index of ``stages``, or None for the whole pass), ``stages``, ``selected``, ``controls`` (``"T"``, ``"s"``,
    ``"c"``, ``"A"``: number rows whose ``.value`` you may set as a learner would; menus and buttons by name),
    ``step_backward(±1)``, ``whole_pass()``, ``select(key)``, ``load_preset(name)``, ``set_clip(on)``,
    ``reset()``, ``scene``, ``figure`` (the norm figure drawn), ``panel``, ``picture()``, ``state()``, ``close()``.
    """

    FORWARD = "further back in time"

    def _stages(self, lesson) -> tuple:
        return rnn_stages(lesson)

    def __init__(
        self,
        preset: str = "sine",
        *,
        task: str | None = None,
        n_steps: int | None = None,
        scale: float | None = None,
        amplitude: float | None = None,
        clip: float | None = None,
        seed: int = 0,
        lecture: bool = False,
        theme: str = "auto",
    ):
        super().__init__(lecture=lecture, theme=theme)
        self.state_ = RNNState()
        try:
            self._take_preset(preset)
            given = dict(task=task, n_steps=n_steps, scale=scale, amplitude=amplitude)
            for k, v in given.items():
                if v is not None:
                    setattr(self.state_, k, v)
            if clip is not None:
                self.state_.clip, self.state_.clip_on = clip, True
            self.state_.seed = seed
        except traitlets.TraitError as err:
            raise ValueError(str(err)) from None
        self._match_preset()
        self._lesson: RNNPass = self._compute()  # the caller's errors, said at the door
        self._start = self.state()
        self._build()
        self._render_all()
        if self._good is None:
            raise ValueError(self._error)

    # ------------------------------------------------------------------ the state
    def _compute(self) -> RNNPass:
        st = self.state_
        return rnn_pass(
            st.task,
            st.n_steps,
            scale=st.scale,
            amplitude=st.amplitude,
            clip=st.clip if st.clip_on else None,
            seed=st.seed,
        )

    def _take_preset(self, name: str) -> None:
        p = get_rnn_preset(name)
        st = self.state_
        with st.hold_trait_notifications():
            st.task, st.n_steps, st.scale, st.amplitude = p.task, p.n_steps, p.scale, p.amplitude
            st.clip_on = p.clip is not None
            if p.clip is not None:
                st.clip = p.clip
            st.preset = p.name
            st.stage = None
            st.selected = None

    def _match_preset(self) -> None:
        """The preset menu names the preset the settings are, or says they are the learner's own."""
        st = self.state_
        for p in RNN_PRESETS.values():
            same = (p.task, p.n_steps, p.scale, p.amplitude, p.clip is not None) == (
                st.task, st.n_steps, st.scale, st.amplitude, st.clip_on
            )  # fmt: skip
            if same and (p.clip is None or p.clip == st.clip):
                st.preset = p.name
                return
        st.preset = OWN

    def _snapshot(self):
        return trait_values(self.state_)

    def _restore(self, snap) -> None:
        set_traits(self.state_, snap)

    # ------------------------------------------------------------------ building (once)
    def _build(self) -> None:
        c, own = self.controls, self._own
        c["preset"] = own(W.Dropdown(description="preset", style={"description_width": "initial"}))
        c["task"] = own(W.Dropdown(options=[(TASK_LABELS[k], k) for k in TASKS], layout=W.Layout(width="auto")))
        c["clip_on"] = own(
            W.ToggleButton(description="clip ‖∂L/∂hₜ‖ at c", icon="scissors", layout=W.Layout(width="auto"))
        )
        self._look_controls()
        self._build_stage_parts(
            rnn_diagram(self._lesson),
            step="One step further back in time",
            whole="Every ∂L/∂hₜ at once",
            reset="Back to the start",
        )
        self.figure_widget = own(LiveFigure(norm_figure(self._lesson)))
        self.figure_widget.layout.width = "100%"

        c["preset"].observe(lambda ch: self._on_menu(lambda: self._preset_menu(ch["new"])), "value")
        c["task"].observe(lambda ch: self._on_menu(lambda: self._change(task=ch["new"])), "value")
        c["clip_on"].observe(lambda ch: self._on_menu(lambda: self.set_clip(bool(ch["new"]))), "value")

        self._lay_out(
            [
                [c["preset"], c["task"], c["clip_on"], c["theme"], c["lecture"]],
                [c["back"], c["step"], c["whole"], c["reset"]],
            ],
            [self.diagram_widget, self.figure_widget],
        )

    # ------------------------------------------------------------------ public API
    @property
    def lesson(self) -> RNNPass:
        """The pass drawn now: the sequence, the weights, the record, the loss (pending updates applied first)."""
        self.flush()
        return self._lesson

    @property
    def record(self):
        """The engine's ``RNNRecord`` of the pass drawn now."""
        return self.lesson.record

    @property
    def figure(self):
        """The norm figure as the page draws it (a plotly Figure)."""
        self.flush()
        return self.figure_widget.figure

    def select(self, key: str) -> None:
        """Select a node (``"h:3"``, ``"x:1"``, ``"y:5"``) or a W_hh link (``"link:4"``): the side panel shows it."""
        self._check_open()
        self.flush()
        node_text(self._lesson, key)  # ValueError naming the key
        self.state_.selected = key
        self._request()

    def load_preset(self, name: str) -> None:
        """sine, vanishing, exploding or clipped (``RNN_PRESETS``): its task, T, s, input size and clipping."""
        self._check_open()
        self._take_preset(name)
        p = get_rnn_preset(name)
        self._note = f"Preset: {p.title}. {p.description}"
        self._request()

    def set_clip(self, on: bool) -> None:
        """Clip ‖∂L/∂hₜ‖ at the cap c at every step (``on``), or not."""
        self._check_open()
        self._change(clip_on=check_bool(on, "on"))
        self._request()

    def reset(self) -> None:
        """Back to the settings the app was made with, the whole pass shown."""
        self._check_open()
        self._note = "Back to the start."
        self.set_state({**self._start, "lecture": self.lecture})

    def picture(self) -> str:
        """The unrolled diagram as a standalone SVG (what GitHub shows of this app's cell)."""
        self.flush()
        return self.diagram_widget.scene.svg()

    def state(self) -> dict:
        st = self.state_
        return {k: getattr(st, k) for k in (*SETTINGS, "seed")} | {"lecture": self.lecture}

    def set_state(self, state: dict) -> None:
        """Take a state from ``state()``: all of it, or nothing if any part is bad."""
        self._check_state(state)
        trial = RNNState()
        try:
            for k in (*SETTINGS, "seed"):
                if k in state:
                    setattr(trial, k, state[k])
            lecture = check_bool(state.get("lecture", False), "lecture")
        except (TypeError, ValueError, traitlets.TraitError) as err:
            raise ValueError(f"state has a malformed entry: {err}") from None
        with self.state_.hold_trait_notifications():
            for k in (*SETTINGS, "seed"):
                setattr(self.state_, k, getattr(trial, k))
            self.state_.stage = None
            self.state_.selected = None
        self._match_preset()
        if lecture != self.lecture:
            self.set_lecture(lecture)
        self._request()

    # ------------------------------------------------------------------ gestures
    def _change(self, **settings) -> None:
        try:
            for k, v in settings.items():
                setattr(self.state_, k, v)
        except traitlets.TraitError as err:
            raise ValueError(str(err)) from None
        self._match_preset()

    def _on_number(self, key: str, value: float) -> None:
        """A learner moved (or typed into) the number row ``key``: T, s, c or A."""
        if key == "T":
            if value != round(value):
                raise ValueError(f"T must be a whole number from 1 to {MAX_DRAWN_STEPS}; got {value!r}")
            if not 1 <= value <= MAX_DRAWN_STEPS:
                raise ValueError(f"T must be a whole number from 1 to {MAX_DRAWN_STEPS}; got {value:g}")
            self._change(n_steps=int(round(value)))
        elif key == "s":
            self._change(scale=value)
        elif key == "c":
            self._change(clip=value)
        else:
            self._change(amplitude=value)

    def _preset_menu(self, name: str) -> None:
        if name != OWN and name != self.state_.preset:
            self.load_preset(name)

    # ------------------------------------------------------------------ drawing: everything from the state
    def _render(self) -> None:
        st = self.state_
        lesson = self._compute()
        k = self._stage_index(lesson)
        if st.stage is not None and k is None:
            st.stage = None  # a step this T does not have
        if st.selected is not None and st.selected not in node_keys(lesson):
            st.selected = None
        theme = self.drawing_theme
        scene = rnn_diagram(lesson, stage=k, selected=st.selected, theme=theme, lecture=self.lecture)
        spec = norm_figure(lesson, stage=k, theme=theme, lecture=self.lecture)
        self._lesson = lesson
        self.diagram_widget.show(scene, accent=get_theme(theme).accent)
        self.figure_widget.update(spec)
        if st.selected is not None:
            self.diagram_widget.announce = plain_text(scene.hovers[st.selected]).replace("\n", " ")
        else:
            self.diagram_widget.announce = stage_caption(lesson, k)
        set_if_changed(self.panel_widget, "value", step_panel(lesson, k, st.selected))
        r = lesson.record
        n = r.n_steps + 1
        where = "the whole backward pass" if k is None else f"backward step {k + 1} of {n}"
        clipped = int(r.clipped.sum())
        clip_words = f" · clipped at {clipped} step{'s' if clipped != 1 else ''}" if r.clip is not None else ""
        set_if_changed(
            self.status,
            "value",
            f'<div class="bpx-loss">L = {html.escape(fmt_plain(lesson.loss_value, 6))}</div>'
            f"<div>{where}{clip_words}</div>",
        )
        self._show_numbers()
        self._drawing = True
        try:
            self._show_menus(k, n)
        finally:
            self._drawing = False

    def _show_numbers(self) -> None:
        st = self.state_
        rows = [
            row("T", "T (steps)", st.n_steps, 1, MAX_DRAWN_STEPS, 1, integer=True, group="the sequence"),
            row("A", "input size A", st.amplitude, *AMPLITUDE_EXPONENTS, 0.1, log=True, group="the sequence"),
            row("s", "W_hh scale s", st.scale, *widened(st.scale, *SCALE_RANGE), 0.05, group="the network"),
            row("c", "cap c", st.clip, *CLIP_EXPONENTS, 0.1, log=True, group="clipping", disabled=not st.clip_on),
        ]
        self._sliders.set_rows(rows)
        for r in rows:
            self.controls.setdefault(r["key"], Row(self._sliders, r["key"]))

    def _show_menus(self, k: int | None, n: int) -> None:
        c, st = self.controls, self.state_
        presets = [(p.title, name) for name, p in RNN_PRESETS.items()]
        if st.preset == OWN:
            presets = [("(your own settings)", OWN), *presets]
        set_if_changed(c["preset"], "options", presets)
        set_if_changed(c["preset"], "value", st.preset)
        set_if_changed(c["task"], "value", st.task)
        set_if_changed(c["clip_on"], "value", st.clip_on)
        self._show_stage_controls(k, n)


__all__ = ["RNNExplorer", "RNNState"]
