"""The Playground's setup: every choice a learner makes, checked at the door; its network and data; its share string.

``Setup`` is the whole of a run's recipe (data, features, network, training, what is shown); with the seed
and the learner's own points it recreates a run exactly. ``check_setup(**values)`` checks each value and
names the argument, its allowed values and bounds. ``encode_share``/``decode_share`` turn a setup (and the
points a learner drew or removed) into a copyable text and back: a version prefix, then the JSON compressed
with zlib and written in URL-safe base64, so a truncated or damaged text is refused with a clear message.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import tempfile
import zlib
from dataclasses import asdict, dataclass, fields, replace
from numbers import Integral, Real
from pathlib import Path

from .._validate import one_of, short_repr
from ..course.datasets import Dataset, load_csv
from ..engine.activations import HIDDEN_ACTIVATIONS
from ..engine.features import DEFAULT_FEATURES, check_features
from ..engine.network import Network
from ..engine.training import OPTIMIZERS, REGULARIZATIONS

PROBLEMS = ("classification", "regression")
# The data sets the plane shows, by problem (the course's 2-D sets), and two of the learner's own.
PLANE_SETS = {
    "classification": ("circles", "xor", "gauss", "spiral", "moons", "blobs"),
    "regression": ("plane", "multi_gauss"),
}
OWN = "own"  # an empty plane to draw points on
CSV = "csv"  # the uploaded file
MAX_HIDDEN_LAYERS = 8
MAX_NEURONS = 32
MIN_SAMPLES, MAX_SAMPLES = 10, 2000
LR_RANGE = (1e-4, 10.0)
REG_RATE_RANGE = (1e-6, 10.0)
MAX_STEPS_PER_FRAME = 100
MAX_SEED = 2**31 - 1
MAX_NOISE = 0.5
MAX_TEST_FRACTION = 0.9
SHARE_PREFIX = "bpx-playground-1:"
MAX_CSV_CLASSES = 8  # one distinct colour per class
MAX_SHARE_CHARS = 400_000
MAX_SHARED_POINTS = MAX_SAMPLES


@dataclass(frozen=True)
class Setup:
    """Every choice on the Playground's controls (TF Playground's defaults where it has one)."""

    dataset: str = "circles"  # a PLANE_SETS name, "own" (your points only) or "csv" (the uploaded file)
    problem: str = "classification"
    n_samples: int = 500  # generated points, train and test together
    test_fraction: float = 0.5  # held out, never trained on
    noise: float = 0.0  # σ of the noise on the points (on the value, for a regression), in the ±1 box
    seed: int = 0  # the data, the starting weights and the mini-batch order
    features: tuple[str, ...] = DEFAULT_FEATURES
    hidden: tuple[int, ...] = (4, 2)  # neurons per hidden layer
    activation: str = "tanh"
    optimizer: str = "sgd"
    lr: float = 0.03
    batch_size: int | None = 10  # None: the whole training set
    regularization: str = "none"
    reg_rate: float = 0.001
    steps_per_frame: int = 10  # optimiser steps per drawn update while playing
    show_test: bool = False
    discretize: bool = False

    def to_dict(self) -> dict:
        d = asdict(self)
        d["features"], d["hidden"] = list(self.features), list(self.hidden)
        return d

    def needs_new_network(self, other: Setup) -> bool:
        """Whether going from ``other`` to this setup starts a new network (and run) from the seed."""
        keys = ("dataset", "problem", "n_samples", "test_fraction", "noise", "seed", "features", "hidden", "activation")
        return any(getattr(self, k) != getattr(other, k) for k in keys)


SETUP_FIELDS = tuple(f.name for f in fields(Setup))


def parse_hidden(value) -> tuple[int, ...]:
    """Hidden layer sizes from a sequence of ints or text such as ``"8, 8"`` (``"none"`` or () for none)."""
    example = f'e.g. (8, 8) or "8, 8": 0 to {MAX_HIDDEN_LAYERS} layers of 1 to {MAX_NEURONS} neurons'
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in ("none", "-", ""):
            return ()
        parts = [p for p in re.split(r"[,;\s]+", text) if p]
        if not all(re.fullmatch(r"\d+", p) for p in parts):
            raise ValueError(f"hidden must be whole numbers separated by commas, {example}; got {short_repr(value)}")
        sizes = [int(p) for p in parts]
    elif isinstance(value, (list, tuple)) and all(isinstance(v, Integral) and not isinstance(v, bool) for v in value):
        sizes = [int(v) for v in value]
    else:
        raise ValueError(f"hidden must be a list of integers or text, {example}; got {short_repr(value)}")
    if len(sizes) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"hidden has {len(sizes)} layers; the Playground draws at most {MAX_HIDDEN_LAYERS}")
    for size in sizes:
        if not 1 <= size <= MAX_NEURONS:
            raise ValueError(f"hidden layers need 1 to {MAX_NEURONS} neurons each; got {size}")
    return tuple(sizes)


def _number(value, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise ValueError(f"{name} must be a number from {low:g} to {high:g}; got {short_repr(value)}")
    value = float(value)
    if not low <= value <= high:
        raise ValueError(f"{name} must be a number from {low:g} to {high:g}; got {short_repr(value)}")
    return value


def _integer(value, name: str, low: int, high: int) -> int:
    if isinstance(value, Real) and not isinstance(value, bool) and not isinstance(value, Integral):
        if math.isfinite(float(value)) and float(value).is_integer():
            value = int(value)  # 500.0 from a number row
    if isinstance(value, bool) or not isinstance(value, Integral) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low:,} to {high:,}; got {short_repr(value)}")
    return int(value)


def _flag(value, name: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False; got {short_repr(value)}")
    return value


def check_value(key: str, value):
    """One setup value, checked: ValueError naming ``key``, its allowed values and bounds."""
    if key == "dataset":
        allowed = (*PLANE_SETS["classification"], *PLANE_SETS["regression"], OWN, CSV)
        return one_of(value, allowed, "dataset")
    if key == "problem":
        return one_of(value, PROBLEMS, "problem")
    if key == "n_samples":
        return _integer(value, "n_samples", MIN_SAMPLES, MAX_SAMPLES)
    if key == "test_fraction":
        return _number(value, "test_fraction", 0.0, MAX_TEST_FRACTION)
    if key == "noise":
        return _number(value, "noise", 0.0, MAX_NOISE)
    if key == "seed":
        return _integer(value, "seed", 0, MAX_SEED)
    if key == "features":
        return check_features(value)
    if key == "hidden":
        return parse_hidden(value)
    if key == "activation":
        return one_of(value, HIDDEN_ACTIVATIONS, "activation")
    if key == "optimizer":
        return one_of(value, OPTIMIZERS, "optimizer")
    if key == "lr":
        return _number(value, "lr", *LR_RANGE)
    if key == "batch_size":
        return None if value is None else _integer(value, "batch_size", 1, MAX_SAMPLES)
    if key == "regularization":
        if value is None:
            return "none"
        return one_of(value.lower() if isinstance(value, str) else value, REGULARIZATIONS, "regularization")
    if key == "reg_rate":
        return _number(value, "reg_rate", *REG_RATE_RANGE)
    if key == "steps_per_frame":
        return _integer(value, "steps_per_frame", 1, MAX_STEPS_PER_FRAME)
    if key in ("show_test", "discretize"):
        return _flag(value, key)
    raise ValueError(f"{key} is not a setting; the settings are {', '.join(SETUP_FIELDS)}")


def check_setup(base: Setup | None = None, **values) -> Setup:
    """``base`` (default: the defaults) with ``values``, each checked; the problem follows a data set that
    has only one kind (a regression set makes the problem "regression" unless it is given otherwise)."""
    setup = base or Setup()
    changes = {k: check_value(k, v) for k, v in values.items()}
    if "dataset" in changes and "problem" not in values:
        for problem, names in PLANE_SETS.items():
            if changes["dataset"] in names:
                changes["problem"] = problem
    setup = replace(setup, **changes)
    if setup.dataset in (*PLANE_SETS["classification"], *PLANE_SETS["regression"]):
        if setup.dataset not in PLANE_SETS[setup.problem]:
            raise ValueError(
                f"dataset {setup.dataset!r} is not a {setup.problem} data set; for problem={setup.problem!r} "
                f"choose one of {', '.join(PLANE_SETS[setup.problem])}, {OWN!r} or {CSV!r}"
            )
    return setup


def setup_from_dict(data) -> Setup:
    """A Setup from ``Setup.to_dict()`` output (every entry checked; unknown entries refused)."""
    if not isinstance(data, dict):
        raise ValueError(f"setup must be a dict of settings; got {short_repr(data)}")
    unknown = sorted(set(data) - set(SETUP_FIELDS))
    if unknown:
        raise ValueError(f"setup has entries that are not settings: {', '.join(map(str, unknown))}")
    values = dict(data)
    if "hidden" in values and isinstance(values["hidden"], list):
        values["hidden"] = tuple(values["hidden"])
    return check_setup(**values)


# ---------------------------------------------------------------------------------- the network and your file
def network_for(task: str, n_inputs: int, hidden: tuple[int, ...], activation: str, n_outputs: int, seed: int):
    """The network a task needs: binary → 1 sigmoid output + bce; multiclass → k softmax outputs +
    cross-entropy; regression → 1 identity output + mse."""
    output, loss = {"binary": ("sigmoid", "bce"), "multiclass": ("softmax", "cross_entropy")}.get(
        task, ("identity", "mse")
    )
    return Network([n_inputs, *hidden, n_outputs], activation=activation, output_activation=output, loss=loss,
                   seed=seed)  # fmt: skip


def csv_dataset(name: str, text: str, test_fraction: float, seed: int) -> Dataset:
    """An uploaded CSV as the Playground's data: 2 feature columns (the plane) and a label; ValueError saying
    what is wrong with it otherwise."""
    stem = re.sub(r"[^\w.-]+", "_", Path(name or "upload.csv").stem).strip("._") or "upload"
    with tempfile.TemporaryDirectory(prefix="bpx-csv-") as folder:
        path = Path(folder) / f"{stem}.csv"
        path.write_text(text, encoding="utf-8")
        try:
            ds = load_csv(path, test_fraction=test_fraction, seed=seed)
        except ValueError as err:  # name the user's file, not the temporary copy
            raise ValueError(str(err).replace(f"path {str(path)!r}", repr(name))) from None
    where = repr(name)
    if ds.n_samples > MAX_SAMPLES:
        raise ValueError(f"{where} has {ds.n_samples:,} data rows; the Playground trains and redraws live and "
                         f"takes at most {MAX_SAMPLES:,}")  # fmt: skip
    if ds.n_features != 2:
        raise ValueError(
            f"{where} has {ds.n_features} feature column{'s' if ds.n_features != 1 else ''} "
            f"({', '.join(ds.feature_names)}); the Playground draws the plane of two inputs, so the file needs "
            "exactly 2 feature columns and the label last"
        )
    if ds.n_classes is not None and ds.n_classes > MAX_CSV_CLASSES:
        raise ValueError(f"{where} has {ds.n_classes} classes; the Playground colours at most {MAX_CSV_CLASSES}")
    return ds


# ---------------------------------------------------------------------------------------------- share strings
def encode_share(payload: dict) -> str:
    """``payload`` (JSON-ready) as a copyable text: SHARE_PREFIX + URL-safe base64 of zlib-compressed JSON."""
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return SHARE_PREFIX + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii").rstrip("=")


def decode_share(text) -> dict:
    """The payload of ``encode_share``; ValueError saying what is wrong with a text that is not one."""
    if not isinstance(text, str):
        raise ValueError(f"text must be a share string (text starting with {SHARE_PREFIX!r}); got {short_repr(text)}")
    text = "".join(text.split())  # a copy across lines or with spaces
    if not text.startswith(SHARE_PREFIX):
        start = text[: len(SHARE_PREFIX)]
        if start.startswith("bpx-playground-"):
            raise ValueError(f"text is a share string of another version ({start!r}); this Playground reads "
                             f"{SHARE_PREFIX!r}")  # fmt: skip
        raise ValueError(f"text is not a Playground share string: it must start with {SHARE_PREFIX!r}")
    if len(text) > MAX_SHARE_CHARS:
        raise ValueError(f"text holds {len(text):,} characters; a share string has at most {MAX_SHARE_CHARS:,}")
    body = text[len(SHARE_PREFIX) :]
    try:
        data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        inflate = zlib.decompressobj()
        raw = inflate.decompress(data, 8 * MAX_SHARE_CHARS)
        if inflate.unconsumed_tail:
            raise ValueError("it holds more than a setup can")
        if not inflate.eof:
            raise ValueError("it ends before the compressed data does")
        payload = json.loads(raw.decode("utf-8"))
    except (binascii.Error, zlib.error, ValueError, UnicodeDecodeError) as err:
        raise ValueError(
            f"text is truncated or damaged: it does not decode to a Playground setup ({err}); copy the whole string "
            "again"
        ) from None
    if not isinstance(payload, dict) or payload.get("app") != "Playground":
        raise ValueError("text decodes, but not to a Playground setup")
    return payload


__all__ = [
    "CSV",
    "MAX_HIDDEN_LAYERS",
    "MAX_NEURONS",
    "MAX_SAMPLES",
    "OWN",
    "PLANE_SETS",
    "PROBLEMS",
    "SHARE_PREFIX",
    "Setup",
    "check_setup",
    "check_value",
    "csv_dataset",
    "decode_share",
    "encode_share",
    "network_for",
    "parse_hidden",
    "setup_from_dict",
]
