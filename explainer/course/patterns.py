"""Small images and 3×3 kernels to convolve: the ConvExplorer's and notebook 08's material.

Every image is a float64 array between 6×6 and 8×8, 0 for the background and 1 for the ink; every kernel
is 3×3. Arrays are read-only (``np.array(pattern.array)`` gives an editable copy). Give an image to
``conv2d_backprop`` as ``image[None, None]`` (one sample, one channel) and a kernel as ``kernel[None, None]``.

``conv2d_backprop`` correlates, as PyTorch does (the kernel is not flipped), so a kernel reads as the
pattern it responds to: ``sobel_vertical`` is positive where the image gets brighter from left to right.

``conv_pass(image, kernel, ...)`` is one lesson's whole pass: the convolution (and an optional 2×2 max-pool),
a loss on its output, and the backward pass from that loss, each layer's record kept (what the ConvExplorer
draws and notebook 08 prints). Two losses:

    "target":  L = ½ Σ (out − T)²,  T = what a target kernel gives on the same image  →  δ = out − T
    "sum":     L = Σ out  (the output itself is the loss)                               →  δ = 1 everywhere
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np

from .._validate import as_finite_array, boolean, one_of
from ..engine.conv import Conv2dRecord, MaxPool2dRecord, conv2d_backprop, maxpool2d_backprop


def _readonly(rows) -> np.ndarray:
    arr = np.array(rows, dtype=np.float64)
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True)
class Pattern:
    """A small grey-level image: 0 background, 1 ink."""

    name: str  # the registry key
    title: str  # what a learner sees in a dropdown
    array: np.ndarray  # (H, W), 6 ≤ H, W ≤ 8, read-only


@dataclass(frozen=True)
class Kernel:
    """A named 3×3 kernel and what it picks out."""

    name: str
    title: str
    array: np.ndarray  # (3, 3), read-only


def _vertical_edge() -> np.ndarray:
    img = np.zeros((6, 6))
    img[:, 3:] = 1.0  # dark left half, bright right half
    return img


def _horizontal_edge() -> np.ndarray:
    img = np.zeros((6, 6))
    img[3:, :] = 1.0  # dark top half, bright bottom half
    return img


def _cross() -> np.ndarray:
    img = np.zeros((7, 7))
    img[3, 1:6] = img[1:6, 3] = 1.0  # a plus sign, one pixel wide
    return img


_SEVEN = [
    "........",
    ".######.",
    "......#.",
    ".....#..",
    "....#...",
    "...#....",
    "...#....",
    "........",
]
_ONE = [
    "........",
    "...##...",
    "..###...",
    "...##...",
    "...##...",
    "...##...",
    "..####..",
    "........",
]


def _drawn(rows: list[str]) -> np.ndarray:
    """'#' is ink (1), '.' is background (0)."""
    return np.array([[1.0 if ch == "#" else 0.0 for ch in row] for row in rows])


PATTERNS: dict[str, Pattern] = {
    p.name: p
    for p in (
        Pattern("vertical_edge", "Vertical edge", _readonly(_vertical_edge())),
        Pattern("horizontal_edge", "Horizontal edge", _readonly(_horizontal_edge())),
        Pattern("diagonal", "Diagonal line", _readonly(np.eye(6))),
        Pattern("cross", "Cross", _readonly(_cross())),
        Pattern("seven", "Digit 7", _readonly(_drawn(_SEVEN))),
        Pattern("one", "Digit 1", _readonly(_drawn(_ONE))),
        Pattern("checkerboard", "Checkerboard", _readonly(np.indices((6, 6)).sum(axis=0) % 2)),
    )
}

KERNELS: dict[str, Kernel] = {
    k.name: k
    for k in (
        Kernel("identity", "Identity (copies the image)", _readonly([[0, 0, 0], [0, 1, 0], [0, 0, 0]])),
        Kernel(
            "sobel_vertical",
            "Sobel, vertical edges (brighter to the right)",
            _readonly([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
        ),
        Kernel(
            "sobel_horizontal",
            "Sobel, horizontal edges (brighter below)",
            _readonly([[-1, -2, -1], [0, 0, 0], [1, 2, 1]]),
        ),
        Kernel(
            "blur", "Blur (Gaussian, weights sum to 1)", _readonly(np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16)
        ),
        Kernel("sharpen", "Sharpen (weights sum to 1)", _readonly([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])),
    )
}


def get_pattern(name: str) -> Pattern:
    """The image called ``name``; ValueError listing the names in PATTERNS otherwise."""
    return PATTERNS[one_of(name, PATTERNS, "name")]


def get_kernel(name: str) -> Kernel:
    """The kernel called ``name``; ValueError listing the names in KERNELS otherwise."""
    return KERNELS[one_of(name, KERNELS, "name")]


# ---------------------------------------------------------------------------------------------------------------
# One lesson's pass: convolution (→ max-pool) → loss → backward.

CONV_LOSSES = {
    "target": "½‖out − T‖², T = what the target kernel gives",
    "sum": "L = Σ out (the output itself: δ = 1 everywhere)",
}
MIN_SIDE, MAX_SIDE = 3, 12  # an image must hold a 3×3 kernel; beyond 12×12 the numbers no longer fit a cell
MAX_KERNEL = 5
MAX_ABS = 1e6  # kernel entries, the bias and pixels: beyond, the squares of the loss lose every digit that matters


@dataclass(frozen=True)
class ConvPass:
    """A convolution (and optionally a 2×2 max-pool), a loss on its output, and the backward pass from it.

    Forward: y = conv(x, K) + b (one image, one channel, stride 1, no padding), p = maxpool₂ₓ₂(y) when
    ``pool``; out = p or y. Backward: δ_out = ∂L/∂out from the loss, then ``pool_record`` routes it to the
    winners (δ = ∂L/∂y) and ``conv`` gives ∂L/∂K, ∂L/∂b and ∂L/∂x. Arrays (H, W) unless said.
    """

    image: np.ndarray  # x, (H, W)
    kernel: np.ndarray  # K, (kh, kw)
    bias: float  # b
    loss: str  # one of CONV_LOSSES
    target_kernel: str | None  # the KERNELS name that makes T ("target" loss), else None
    target: np.ndarray | None  # T, shaped like out ("target" loss), else None
    conv: Conv2dRecord  # the convolution's record, given δ = ∂L/∂y
    pool_record: MaxPool2dRecord | None  # the max-pool's record, given ∂L/∂p (None without pooling)
    loss_value: float  # L

    @property
    def pool(self) -> bool:
        return self.pool_record is not None

    @property
    def feature_map(self) -> np.ndarray:
        """y = conv(x, K) + b, (H − kh + 1, W − kw + 1)."""
        return self.conv.output[0, 0]

    @property
    def output(self) -> np.ndarray:
        """What the loss reads: p with pooling, else y."""
        return self.pool_record.output[0, 0] if self.pool else self.feature_map

    @property
    def grad_output(self) -> np.ndarray:
        """∂L/∂out: the loss's gradient (δ = out − T, or ones)."""
        return self.pool_record.grad_output[0, 0] if self.pool else self.conv.grad_output[0, 0]

    @property
    def delta(self) -> np.ndarray:
        """δ = ∂L/∂y on the feature map (after the max-pool's routing, with pooling)."""
        return self.conv.grad_output[0, 0]


def _image(value, argument: str, low: int, high: int) -> np.ndarray:
    arr = as_finite_array(value, argument, ndim=(2,))
    if not (low <= arr.shape[0] <= high and low <= arr.shape[1] <= high):
        raise ValueError(f"{argument} must have both sides from {low} to {high}; got shape {arr.shape}")
    if np.abs(arr).max() > MAX_ABS:
        raise ValueError(f"{argument} must hold numbers between −10⁶ and 10⁶; got one of {np.abs(arr).max():.3g}")
    return arr


def conv_pass(
    image,
    kernel,
    bias: float = 0.0,
    *,
    loss: str = "target",
    target_kernel: str = "sobel_vertical",
    pool: bool = False,
) -> ConvPass:
    """One image through a convolution (→ 2×2 max-pool), a loss, and the backward pass, every layer recorded.

    y = conv(x, K) + b, out = maxpool₂ₓ₂(y) if ``pool`` else y;
    L = ½ Σ (out − T)² with T = the same layers with the kernel ``target_kernel`` and no bias ("target"),
    or L = Σ out ("sum"). δ_out = out − T or 1; the max-pool routes δ_out to its winners; the convolution's
    backward pass gives ∂L/∂K, ∂L/∂b and ∂L/∂x (``explainer.conv``).

    Parameters
    ----------
    image: x, (H, W) with 3 ≤ H, W ≤ 12 (the patterns are 6×6 to 8×8).
    kernel: K, (kh, kw) with 1 ≤ kh, kw ≤ 5 and no larger than the image (3×3 in the explorer).
    bias: b, a finite number.
    loss: "target" or "sum".
    target_kernel: a name in KERNELS (the "target" loss only).
    pool: a 2×2 max-pool (stride 2) after the convolution; the feature map must then be at least 2×2.
    """
    x = _image(image, "image", MIN_SIDE, MAX_SIDE)
    K = _image(kernel, "kernel", 1, MAX_KERNEL)
    if K.shape[0] > x.shape[0] or K.shape[1] > x.shape[1]:
        raise ValueError(f"kernel must be no larger than the image {x.shape}; got shape {K.shape}")
    if isinstance(bias, bool) or not isinstance(bias, Real) or not np.isfinite(bias) or abs(bias) > MAX_ABS:
        raise ValueError(f"bias must be a finite number between −10⁶ and 10⁶; got {bias!r}")
    one_of(loss, CONV_LOSSES, "loss")
    pool = boolean(pool, "pool")
    h_out, w_out = x.shape[0] - K.shape[0] + 1, x.shape[1] - K.shape[1] + 1
    if pool and min(h_out, w_out) < 2:
        raise ValueError(f"pool needs a feature map of at least 2×2; this one is {h_out}×{w_out}")
    name = get_kernel(target_kernel).name if loss == "target" else None

    def forward(k: np.ndarray, b: float) -> tuple[np.ndarray, np.ndarray]:
        y = conv2d_backprop(x[None, None], k[None, None], [b], np.zeros((1, 1, h_out, w_out))).output
        return y, (maxpool2d_backprop(y, np.zeros_like(_pooled(y))).output if pool else y)

    y, out = forward(K, float(bias))
    if loss == "target":
        T = forward(np.asarray(KERNELS[name].array), 0.0)[1]
        if T.shape != out.shape:
            raise ValueError(f"target_kernel must have the kernel's shape {K.shape} to make a target; got {name!r}")
        grad_out = out - T
        value = 0.5 * float(np.sum(grad_out * grad_out))
    else:
        T = None
        grad_out = np.ones_like(out)
        value = float(out.sum())
    pool_record = maxpool2d_backprop(y, grad_out) if pool else None
    delta = pool_record.grad_input if pool else grad_out
    record = conv2d_backprop(x[None, None], K[None, None], [float(bias)], delta)
    return ConvPass(
        image=record.x[0, 0],
        kernel=record.kernel[0, 0],
        bias=float(bias),
        loss=loss,
        target_kernel=name,
        target=None if T is None else _readonly(T[0, 0]),
        conv=record,
        pool_record=pool_record,
        loss_value=value,
    )


def _pooled(y: np.ndarray) -> np.ndarray:
    """An array of a 2×2, stride-2 max-pool's output shape for ``y`` (N, C, H, W)."""
    n, c, h, w = y.shape
    return np.empty((n, c, (h - 2) // 2 + 1, (w - 2) // 2 + 1))


__all__ = [
    "CONV_LOSSES",
    "KERNELS",
    "PATTERNS",
    "ConvPass",
    "Kernel",
    "Pattern",
    "conv_pass",
    "get_kernel",
    "get_pattern",
]
