"""StagedApp: an app whose backward pass is shown one stage at a time (the ConvExplorer, the RNNExplorer).

The subclass names its stages for a lesson (``_stages``); its state's ``stage`` holds one of them, or None
for the whole pass. Stepping is the same for every such app: ▶ from the whole pass starts at the first stage,
◀ at the last, and neither runs past the ends.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from .app import App, set_if_changed
from .diagram import Diagram
from .sliders import Sliders, number


class StagedApp(App):
    """The stepping of a staged backward pass. A subclass keeps its lesson in ``_lesson`` (and ``lesson``), its
    state in ``state_`` (``stage``, ``selected``), draws ``diagram_widget`` and ``panel_widget``, and implements
    ``_stages(lesson)``."""

    FORWARD = "on through the backward pass"  # what direction 1 means, said when a direction is refused

    def _stages(self, lesson) -> tuple:  # pragma: no cover - overridden
        raise NotImplementedError

    # ------------------------------------------------------------------ building: the parts every staged app has
    def _build_stage_parts(self, scene, *, step: str, whole: str, reset: str) -> None:
        """The stepping buttons (◀ back, backward step ▶, whole pass, reset; their tooltips given), the status
        line, the number rows, the side panel and the live diagram, first drawing ``scene``."""
        c, own = self.controls, self._own
        c["back"] = self._button("◀ back", "One step less of the backward pass")
        c["step"] = self._button("backward step ▶", step, "info")
        c["whole"] = self._button("whole pass", whole)
        c["reset"] = self._button("reset", reset, "warning")
        c["back"].on_click(lambda _: self._gesture(lambda: self.step_backward(-1)))
        c["step"].on_click(lambda _: self._gesture(lambda: self.step_backward(+1)))
        c["whole"].on_click(lambda _: self._gesture(self.whole_pass))
        c["reset"].on_click(lambda _: self._gesture(self.reset))
        self.status = own(W.HTML())
        self.status.add_class("bpx-status")
        self._sliders = own(Sliders(columns="repeat(auto-fill, minmax(15em, 1fr))"))
        self._sliders.layout.width = "100%"
        self._sliders.on_input(lambda key, value: self._gesture(lambda: self._on_number(key, number(key, value))))
        self.panel_widget = own(W.HTML(layout=W.Layout(max_height="420px", overflow="auto")))
        self.panel_widget.add_class("bpx-panel")
        self.panel_widget.add_class("bpx-chain")
        self.diagram_widget = own(Diagram(scene))
        self.diagram_widget.layout.width = "100%"
        self.diagram_widget.on_select(lambda key: self._gesture(lambda: self.select(key)))

    def _lay_out(self, bars: list[list[W.Widget]], main: list[W.Widget]) -> None:
        """The bars of controls on top, ``main`` (the diagram first) on the left, the status, the number rows and
        the panel beside it (below it on a narrow screen or in lecture mode)."""
        own = self._own
        left = own(W.VBox(main, layout=W.Layout(flex="1 1 36em", min_width="0")))
        left.add_class("bpx-main")
        side = own(
            W.VBox(
                [self.status, self._sliders, self.panel_widget],
                layout=W.Layout(flex="0 1 22em", min_width="16em", max_width="100%"),
            )
        )
        boxes = [own(W.HBox(bar)) for bar in bars]
        for box in boxes:
            box.add_class("bpx-bar")
        body = own(W.HBox([left, side], layout=W.Layout(flex_flow="row wrap", align_items="flex-start", width="100%")))
        body.add_class("bpx-columns")
        self.root = self._wrap(own(W.VBox([*boxes, body], layout=W.Layout(width="100%"))))

    def _show_stage_controls(self, k: int | None, n: int) -> None:
        """The look controls and the stepping buttons as the state says (stage ``k`` of ``n``)."""
        c = self.controls
        set_if_changed(c["lecture"], "value", self.lecture)
        set_if_changed(c["theme"], "value", self.theme)
        set_if_changed(c["back"], "disabled", k is None or k == 0)
        set_if_changed(c["step"], "disabled", k == n - 1)
        set_if_changed(c["whole"], "disabled", k is None)

    # ------------------------------------------------------------------ stepping
    def _stage_index(self, lesson) -> int | None:
        stage = self.state_.stage
        if stage is None:
            return None
        stages = self._stages(lesson)
        return stages.index(stage) if stage in stages else None

    @property
    def stages(self) -> tuple:
        """Every stage of the backward pass, in order."""
        return self._stages(self.lesson)

    @property
    def stage(self) -> int | None:
        """The stage shown (an index of ``stages``), or None for the whole pass."""
        self.flush()
        return self._stage_index(self._lesson)

    @property
    def selected(self) -> str | None:
        return self.state_.selected

    @property
    def scene(self):
        """What the live diagram draws now (an ``explainer.views.diagram.Scene``)."""
        self.flush()
        return self.diagram_widget.scene

    @property
    def panel(self) -> str:
        """The side panel's HTML for the stage or the selection."""
        self.flush()
        return self.panel_widget.value

    def step_backward(self, direction: int = 1) -> None:
        """One stage further (or, with −1, one back); from the whole pass, the first (or the last) stage."""
        self._check_open()
        if direction not in (-1, 1):
            raise ValueError(f"direction must be 1 ({self.FORWARD}) or -1; got {direction!r}")
        self.flush()
        stages = self._stages(self._lesson)
        k = self._stage_index(self._lesson)
        if k is None:
            k = 0 if direction > 0 else len(stages) - 1
        else:
            k = int(np.clip(k + direction, 0, len(stages) - 1))
        self.state_.stage = stages[k]
        self._request()

    def whole_pass(self) -> None:
        """Every gradient of the pass at once."""
        self._check_open()
        self.state_.stage = None
        self._request()
