"""The Playground's state and share strings: everything that recreates a setup, as a dict or a copyable text.

``Sharing`` is one part of ``Playground`` (explainer/widgets/playground.py): ``state()`` / ``set_state()`` (a dict,
and through the App base atomic files), ``share()`` / ``Playground.from_share(text)`` / ``load_share`` (a text:
versioned, compressed, refused with a clear ValueError when truncated or damaged). An uploaded CSV travels in
both up to STATE_CSV_BYTES, and a larger one is refused with the reason, never dropped.
"""

from __future__ import annotations

import math

from ..course.playground_presets import PLAYGROUND_PRESETS
from ..engine.network import Network
from .app import check_bool
from .playground_setup import CSV, MAX_SHARED_POINTS, csv_dataset, decode_share, encode_share, setup_from_dict

STATE_CSV_BYTES = 64_000  # an uploaded CSV up to this size travels inside a saved state or a share string
OWN_PRESET = ""  # the preset menu's "none": the learner's own setup


class Sharing:
    """The state and share part of the Playground (its methods use the app's state and ``_snapshot``)."""

    def _show_share(self) -> None:
        text = self.share()
        self._drawing = True
        try:
            self.controls["share_text"].value = text
        finally:
            self._drawing = False
        self._note = (
            f"The setup as {len(text):,} characters, in the box below: copy it; paste one there and press load."
        )

    def _payload(self, *, for_share: bool) -> dict:
        csv = None
        if self._setup.dataset == CSV:
            name, text = self._csv
            size = len(text.encode("utf-8"))
            if size > STATE_CSV_BYTES:
                what = "a share string" if for_share else "a saved state"
                raise ValueError(
                    f"the uploaded CSV {name!r} is {size:,} bytes, more than the {STATE_CSV_BYTES:,} {what} can carry: "
                    f"keep the file beside the notebook and upload it again (or use fewer rows)"
                )
            csv = {"name": name, "text": text}
        return {
            "app": "Playground",
            "version": 1,
            "setup": self._setup.to_dict(),
            "csv": csv,
            "added": [[round(a, 6), round(b, 6), round(c, 6)] for a, b, c in self._added],
            "removed": sorted(int(i) for i in self._removed),
            "preset": self._preset,
        }

    def share(self) -> str:
        """The setup, the seed and your own points as one copyable text (``Playground.from_share`` reads it)."""
        self._check_open()
        self.flush()
        return encode_share(self._payload(for_share=True))

    @classmethod
    def from_share(cls, text: str, *, lecture: bool = False, theme: str = "auto"):
        """A Playground with the exact setup and seed of a ``share()`` text (ValueError for a bad or truncated one)."""
        payload = decode_share(text)
        app = cls(lecture=lecture, theme=theme)
        try:
            app._take_payload(payload)
        except Exception:
            app.close()
            raise
        return app

    def load_share(self, text: str) -> None:
        """Take the setup of a ``share()`` text (all of it, or nothing if any part is bad)."""
        self._check_open()
        self._take_payload(decode_share(text))
        self._note = "The shared setup, from step 0."
        self._request()

    def _take_payload(self, payload: dict) -> None:
        """Check every part of a share payload or a state, then take it: all or nothing."""
        try:
            setup = setup_from_dict(payload["setup"])
            csv = payload.get("csv")
            added = payload.get("added") or []
            removed = payload.get("removed") or []
            preset = payload.get("preset") or OWN_PRESET
        except (KeyError, TypeError, AttributeError) as err:
            raise ValueError(f"the setup is missing or has a malformed entry: {err}") from None
        if setup.dataset == CSV:
            if (
                not isinstance(csv, dict)
                or not isinstance(csv.get("text"), str)
                or not isinstance(csv.get("name"), str)
            ):
                raise ValueError("the setup uses an uploaded CSV but does not carry it")
            csv_dataset(csv["name"], csv["text"], setup.test_fraction, setup.seed)
        if not isinstance(added, list) or len(added) > MAX_SHARED_POINTS:
            raise ValueError(f"added must be a list of at most {MAX_SHARED_POINTS} points [x, y, label]")
        points = []
        for p in added:
            if not (isinstance(p, list) and len(p) == 3 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                               and math.isfinite(v) for v in p)):  # fmt: skip
                raise ValueError(f"added must hold points [x, y, label] of finite numbers; got {str(p)[:60]}")
            points.append((float(p[0]), float(p[1]), float(p[2])))
        if not isinstance(removed, list) or not all(isinstance(i, int) and i >= 0 for i in removed):
            raise ValueError("removed must be a list of point indices")
        if preset not in PLAYGROUND_PRESETS:
            preset = OWN_PRESET
        old = self._snapshot()
        try:
            self._pause()
            self._setup = setup
            self._csv = (csv["name"], csv["text"]) if setup.dataset == CSV else self._csv
            self._added, self._removed = points, frozenset(removed)
            self._build_data()
            if any(i >= self._base.n_samples for i in removed):
                raise ValueError(f"removed holds an index beyond the data set's {self._base.n_samples} points")
            if self._task != "regression" and any(not float(p[2]).is_integer() or not 0 <= p[2] < self._data.n_classes
                                                  for p in points):  # fmt: skip
                raise ValueError("added holds a label that is not one of the data set's classes")
            self._new_network()
            self._preset = preset
        except Exception:
            self._restore(old)
            raise

    def state(self) -> dict:
        """Everything to recreate this Playground: the setup, your points, the CSV, and the current weights.

        ValueError if an uploaded CSV is too large to carry (the message says why: it is never dropped)."""
        self._check_open()
        self.flush()
        payload = self._payload(for_share=False)
        payload["network"] = self.network.to_dict()
        payload["steps"] = 0 if self.session is None else self.session.steps_done
        payload["lecture"] = self.lecture
        return payload

    def set_state(self, state: dict) -> None:
        """Take a ``state()`` (or a file from ``save_state``): the setup and data, and the saved weights as the
        new start (step 0). All of it, or nothing if any part is bad."""
        self._check_state(state)
        try:
            net = Network.from_dict(state["network"])
        except (KeyError, TypeError) as err:
            raise ValueError(f"state is missing or has a malformed entry: {err}") from None
        lecture = check_bool(state.get("lecture", self.lecture), "lecture")
        old = self._snapshot()
        self._take_payload(state)
        if list(net.sizes) != list(self.network.sizes) or net.loss != self.network.loss:
            self._restore(old)
            raise ValueError(f"state's network {list(net.sizes)} ({net.loss}) does not fit its setup, which needs "
                             f"{list(self.network.sizes)} ({self.network.loss})")  # fmt: skip
        self.network.set_parameters(net.parameters)
        self._start = self.network.parameters
        self._new_session()
        if lecture != self.lecture:
            self.set_lecture(lecture)
        self._request()
