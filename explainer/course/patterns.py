"""Small images and 3×3 kernels to convolve: the ConvExplorer's and notebook 08's material.

Every image is a float64 array between 6×6 and 8×8, 0 for the background and 1 for the ink; every kernel
is 3×3. Arrays are read-only (``np.array(pattern.array)`` gives an editable copy). Give an image to
``conv2d_backprop`` as ``image[None, None]`` (one sample, one channel) and a kernel as ``kernel[None, None]``.

``conv2d_backprop`` correlates, as PyTorch does (the kernel is not flipped), so a kernel reads as the
pattern it responds to: ``sobel_vertical`` is positive where the image gets brighter from left to right.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import one_of


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


__all__ = ["KERNELS", "PATTERNS", "Kernel", "Pattern", "get_kernel", "get_pattern"]
