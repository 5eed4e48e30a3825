"""Convolution and max-pooling: forward and backward side by side, every intermediate recorded.

Shapes follow PyTorch (``torch.nn.functional.conv2d`` and ``max_pool2d``)::

    x       (N, C_in, H, W)          N images of C_in channels
    K       (C_out, C_in, kh, kw)    one (C_in, kh, kw) filter per output channel
    b       (C_out,)
    s, pad  stride and zero padding
    x_pad   (N, C_in, H + 2·pad, W + 2·pad)   x with pad zeros on every side
    y       (N, C_out, H_out, W_out)          H_out = ⌊(H + 2·pad − kh) / s⌋ + 1, W_out likewise
    δ       ∂L/∂y, same shape as y: the upstream gradient, given by the caller

A convolution layer computes a cross-correlation (the kernel is not flipped), as PyTorch's does::

    y[n,o,p,q]          = b[o] + Σ_c Σ_i,j K[o,c,i,j] · x_pad[n,c,p·s+i, q·s+j]

    ∂L/∂b[o]            = Σ_n Σ_p,q δ[n,o,p,q]
    ∂L/∂K[o,c,i,j]      = Σ_n Σ_p,q δ[n,o,p,q] · x_pad[n,c,p·s+i, q·s+j]
    ∂L/∂x_pad[n,c,u,v]  = Σ_o Σ_i,j δ_full[n,o,u+i, v+j] · K[o,c,kh−1−i, kw−1−j]
    ∂L/∂x               = ∂L/∂x_pad without its border of pad

The last line is the kernel sliding in reverse: every output position hands its δ back, weighted by
the kernel, to the inputs it read. Written as one formula it is the *full* correlation of δ with the
kernel flipped in both spatial axes (and its two channel axes swapped): δ_full is δ with s − 1 zeros
between its entries (undoing the stride) and kh − 1, kw − 1 zeros around it (so the flipped kernel
also visits the border). So the forward and the input gradient are one operation, ``_correlate``: im2col
(every window a column) and one matrix product.

Max-pooling keeps the largest value of each window; its gradient goes back to that winner only::

    y[n,c,p,q]          = max_{i,j < size} x[n,c,p·s+i, q·s+j]
    ∂L/∂x[n,c,u,v]      = Σ of δ[n,c,p,q] over the windows (p, q) whose winner is x[n,c,u,v]

Every other input gets 0. On a tie the *first* maximum of the window in row-major order wins (as in
PyTorch). Windows overlap when s < size: an input can win several windows and collects all their δ.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral

import numpy as np

from .._validate import as_finite_array

MAX_ELEMENTS = 10_000_000  # the largest array (input, output or im2col matrix) a call may build: 80 MB of float64
MAX_PADDING = 32  # more zeros than this around a small image show nothing new and only cost memory
MAX_STRIDE = 32  # a stride at least the image's side already reads a single window


# ---------------------------------------------------------------------------------------------------------------
# Convolution: forward and backward.


def _im2col(a: np.ndarray, kh: int, kw: int, stride: int) -> np.ndarray:
    """Every (kh, kw) window of ``a`` at stride s, one window per column: cols[n, (c,i,j), (p,q)] = a[n,c,p·s+i, q·s+j].

    a: (N, C, H, W) → (N, C·kh·kw, H_out·W_out), H_out = ⌊(H − kh) / s⌋ + 1. Filled one kernel offset (i, j)
    at a time: each is a strided slice of ``a`` (at most 25 slices for a 5×5 kernel).
    """
    n, c, h, w = a.shape
    h_out, w_out = (h - kh) // stride + 1, (w - kw) // stride + 1
    cols = np.empty((n, c, kh, kw, h_out, w_out))
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = a[
                :, :, i : i + (h_out - 1) * stride + 1 : stride, j : j + (w_out - 1) * stride + 1 : stride
            ]
    return cols.reshape(n, c * kh * kw, h_out * w_out)


def _correlate(a: np.ndarray, kernel: np.ndarray, stride: int) -> np.ndarray:
    """out[n,o,p,q] = Σ_c Σ_i,j kernel[o,c,i,j] · a[n,c,p·s+i, q·s+j]: one matrix product per image.

    a: (N, C, H, W), kernel: (O, C, kh, kw) → (N, O, H_out, W_out).
    """
    o, _, kh, kw = kernel.shape
    h_out, w_out = (a.shape[2] - kh) // stride + 1, (a.shape[3] - kw) // stride + 1
    out = kernel.reshape(o, -1) @ _im2col(a, kh, kw, stride)  # (O, C·kh·kw) @ (N, C·kh·kw, H_out·W_out)
    return out.reshape(a.shape[0], o, h_out, w_out)


def _conv2d_forward(x_pad: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: int) -> np.ndarray:
    """y[n,o,p,q] = b[o] + Σ_c Σ_i,j K[o,c,i,j] · x_pad[n,c,p·s+i, q·s+j]."""
    return _correlate(x_pad, kernel, stride) + bias[:, None, None]


def _conv2d_backward(
    x_pad: np.ndarray, kernel: np.ndarray, grad_output: np.ndarray, stride: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """∂L/∂b, ∂L/∂K, δ_full and ∂L/∂x_pad from δ = ∂L/∂y (equations in the module docstring)."""
    n, c_out, h_out, w_out = grad_output.shape
    grad_bias = grad_output.sum(axis=(0, 2, 3))  # (C_out,)
    # ∂L/∂K[o,c,i,j] = Σ_n Σ_p,q δ[n,o,p,q] · x_pad[n,c,p·s+i, q·s+j]: δ against the same windows the forward read.
    cols = _im2col(x_pad, kernel.shape[2], kernel.shape[3], stride)  # (N, C_in·kh·kw, H_out·W_out)
    delta = grad_output.reshape(n, c_out, h_out * w_out)
    grad_kernel = (delta @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(kernel.shape)
    # ∂L/∂x_pad: the full correlation of δ with the flipped kernel, channels swapped to (C_in, C_out, kh, kw).
    grad_full = _spread(grad_output, kernel.shape[2], kernel.shape[3], stride, x_pad.shape[2:])
    flipped = np.ascontiguousarray(kernel[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    grad_x_pad = _correlate(grad_full, flipped, 1)  # (N, C_in, H + 2·pad, W + 2·pad)
    return grad_bias, grad_kernel, grad_full, grad_x_pad


def _spread(grad_output: np.ndarray, kh: int, kw: int, stride: int, padded_hw: tuple[int, int]) -> np.ndarray:
    """δ_full: δ with s − 1 zeros between its entries and kh − 1 (kw − 1) zeros around it.

    (N, C_out, H_out, W_out) → (N, C_out, Hp + kh − 1, Wp + kw − 1), Hp × Wp the padded input, so that a
    stride-1 correlation with a (kh, kw) kernel gives back Hp × Wp. Rows and columns of x_pad that no window
    reached (when (Hp − kh) is not a multiple of s) fall on zeros and get a zero gradient.
    """
    n, c_out, h_out, w_out = grad_output.shape
    hp, wp = padded_hw
    full = np.zeros((n, c_out, hp + kh - 1, wp + kw - 1))
    full[
        :, :, kh - 1 : kh - 1 + (h_out - 1) * stride + 1 : stride, kw - 1 : kw - 1 + (w_out - 1) * stride + 1 : stride
    ] = grad_output
    return full


# ---------------------------------------------------------------------------------------------------------------
# Max-pooling: forward and backward.


def _maxpool2d_forward(x: np.ndarray, size: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """The window maxima and their winners' flat indices into H·W (PyTorch's ``return_indices``).

    x: (N, C, H, W) → output, indices: (N, C, H_out, W_out). ``argmax`` returns the first maximum, so on
    a tie the first winner in row-major order is taken.
    """
    n, c, h, w = x.shape
    windows = _im2col(x.reshape(n * c, 1, h, w), size, size, stride)  # (N·C, size², H_out·W_out)
    best = windows.argmax(axis=1)  # the winner's position inside its window, row-major: i·size + j
    output = np.take_along_axis(windows, best[:, None], axis=1)[:, 0]
    h_out, w_out = (h - size) // stride + 1, (w - size) // stride + 1
    best = best.reshape(n, c, h_out, w_out)
    rows = np.arange(h_out)[:, None] * stride + best // size  # the winner's row in x
    cols = np.arange(w_out)[None, :] * stride + best % size
    return output.reshape(n, c, h_out, w_out), rows * w + cols


def _maxpool2d_backward(indices: np.ndarray, grad_output: np.ndarray, x_shape: tuple[int, ...]) -> np.ndarray:
    """∂L/∂x: each δ[n,c,p,q] added to its window's winner; every other entry 0.

    ``bincount`` sums the δ that land on the same input (overlapping windows) in one pass.
    """
    n, c, h, w = x_shape
    plane = np.arange(n * c).reshape(n, c, 1, 1) * (h * w)  # where each (n, c) image starts in the flat array
    grad = np.bincount((plane + indices).ravel(), weights=grad_output.ravel(), minlength=n * c * h * w)
    return grad.reshape(x_shape)


# ---------------------------------------------------------------------------------------------------------------
# Records and the public doors.


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True)
class Conv2dRecord:
    """One convolution's forward and backward pass, read-only (equations in the module docstring)."""

    x: np.ndarray  # (N, C_in, H, W)
    kernel: np.ndarray  # K, (C_out, C_in, kh, kw)
    bias: np.ndarray  # b, (C_out,)
    stride: int
    padding: int
    x_padded: np.ndarray  # x_pad, (N, C_in, H + 2·pad, W + 2·pad)
    output: np.ndarray  # y, (N, C_out, H_out, W_out)
    grad_output: np.ndarray  # δ = ∂L/∂y, as given
    grad_output_full: np.ndarray  # δ_full, (N, C_out, H + 2·pad + kh − 1, W + 2·pad + kw − 1)
    grad_input_padded: np.ndarray  # ∂L/∂x_pad, shaped like x_padded
    grad_input: np.ndarray  # ∂L/∂x, shaped like x
    grad_kernel: np.ndarray  # ∂L/∂K, shaped like kernel
    grad_bias: np.ndarray  # ∂L/∂b, (C_out,)

    @property
    def kernel_flipped(self) -> np.ndarray:
        """K[o,c,kh−1−i,kw−1−j] with channels swapped, (C_in, C_out, kh, kw): what slides over δ_full."""
        return self.kernel[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)


@dataclass(frozen=True)
class MaxPool2dRecord:
    """One max-pooling's forward and backward pass, read-only (equations in the module docstring)."""

    x: np.ndarray  # (N, C, H, W)
    size: int
    stride: int
    output: np.ndarray  # (N, C, H_out, W_out), H_out = ⌊(H − size) / s⌋ + 1
    indices: np.ndarray  # int64 (N, C, H_out, W_out): each window's winner as row·W + col in x (PyTorch's indices)
    grad_output: np.ndarray  # δ = ∂L/∂y, as given
    grad_input: np.ndarray  # ∂L/∂x, shaped like x: δ at the winners, 0 elsewhere

    @property
    def winners(self) -> tuple[np.ndarray, np.ndarray]:
        """(rows, cols) of each window's winner in x, each (N, C, H_out, W_out)."""
        return np.divmod(self.indices, self.x.shape[3])


def conv2d_backprop(x, kernel, bias, grad_output, stride: int = 1, padding: int = 0) -> Conv2dRecord:
    """A 2-D convolution layer's forward pass and its backward pass from the upstream gradient δ = ∂L/∂y.

    y[n,o,p,q] = b[o] + Σ_c Σ_i,j K[o,c,i,j] · x_pad[n,c,p·s+i, q·s+j]  (PyTorch's ``conv2d``), then
    ∂L/∂b, ∂L/∂K and ∂L/∂x as in the module docstring.

    Parameters
    ----------
    x: (N, C_in, H, W) input.
    kernel: (C_out, C_in, kh, kw), with kh ≤ H + 2·padding and kw ≤ W + 2·padding.
    bias: (C_out,).
    grad_output: δ = ∂L/∂y, (N, C_out, H_out, W_out) with H_out = ⌊(H + 2·padding − kh) / stride⌋ + 1.
    stride: an integer from 1 to 32.
    padding: zeros added on every side, an integer from 0 to 32.

    Every array the call builds (the padded input, the output, the im2col matrices) must hold at most
    10⁷ numbers. Returns a read-only :class:`Conv2dRecord`.
    """
    x = _array(x, "x", "(N, C_in, H, W)", 4)
    kernel = _array(kernel, "kernel", "(C_out, C_in, kh, kw)", 4)
    n, c_in, h, w = x.shape
    c_out, _, kh, kw = kernel.shape
    if kernel.shape[1] != c_in:
        raise ValueError(
            f"kernel must have shape (C_out, C_in={c_in}, kh, kw) to match x {x.shape}; got {kernel.shape}"
        )
    bias = _array(bias, "bias", "(C_out,)", 1)
    if bias.shape != (c_out,):
        raise ValueError(f"bias must have shape (C_out,) = ({c_out},) to match kernel {kernel.shape}; got {bias.shape}")
    padding = _int_in(padding, "padding", 0, MAX_PADDING)
    hp, wp = h + 2 * padding, w + 2 * padding
    if kh > hp or kw > wp:
        raise ValueError(
            f"kernel must fit in the padded input: (kh, kw) = ({kh}, {kw}) must be ≤ (H + 2·padding, W + 2·padding) "
            f"= ({hp}, {wp}); use a smaller kernel or more padding"
        )
    stride = _int_in(stride, "stride", 1, MAX_STRIDE)
    h_out, w_out = (hp - kh) // stride + 1, (wp - kw) // stride + 1
    _check_size(
        "x and kernel",
        padded_input=n * c_in * hp * wp,
        output=n * c_out * h_out * w_out,
        im2col=n * h_out * w_out * c_in * kh * kw,
        im2col_of_grad=n * hp * wp * c_out * kh * kw,
    )
    grad_output = _array(grad_output, "grad_output", "(N, C_out, H_out, W_out)", 4)
    if grad_output.shape != (n, c_out, h_out, w_out):
        raise ValueError(
            f"grad_output must have the output's shape (N, C_out, H_out, W_out) = {(n, c_out, h_out, w_out)}; "
            f"got {grad_output.shape}"
        )

    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    output = _conv2d_forward(x_pad, kernel, bias, stride)
    grad_bias, grad_kernel, grad_full, grad_x_pad = _conv2d_backward(x_pad, kernel, grad_output, stride)
    grad_input = np.ascontiguousarray(grad_x_pad[:, :, padding : padding + h, padding : padding + w])
    ro = _readonly
    return Conv2dRecord(
        x=ro(x),
        kernel=ro(kernel),
        bias=ro(bias),
        stride=stride,
        padding=padding,
        x_padded=ro(x_pad),
        output=ro(output),
        grad_output=ro(grad_output),
        grad_output_full=ro(grad_full),
        grad_input_padded=ro(grad_x_pad),
        grad_input=ro(grad_input),
        grad_kernel=ro(grad_kernel),
        grad_bias=ro(grad_bias),
    )


def maxpool2d_backprop(x, grad_output, size: int = 2, stride: int = 2) -> MaxPool2dRecord:
    """A max-pooling layer's forward pass and its backward pass from the upstream gradient δ = ∂L/∂y.

    y[n,c,p,q] = max_{i,j < size} x[n,c,p·s+i, q·s+j]  (PyTorch's ``max_pool2d`` without padding);
    ∂L/∂x is δ routed to each window's winner, the first maximum in row-major order on a tie.

    Parameters
    ----------
    x: (N, C, H, W) input.
    grad_output: δ = ∂L/∂y, (N, C, H_out, W_out) with H_out = ⌊(H − size) / stride⌋ + 1.
    size: the square window's side, an integer from 1 to min(H, W).
    stride: an integer from 1 to 32.

    Returns a read-only :class:`MaxPool2dRecord`.
    """
    x = _array(x, "x", "(N, C, H, W)", 4)
    n, c, h, w = x.shape
    _check_size("x", input=x.size)
    size = _int_in(size, "size", 1, min(h, w), "the input's smaller side")
    stride = _int_in(stride, "stride", 1, MAX_STRIDE)
    h_out, w_out = (h - size) // stride + 1, (w - size) // stride + 1
    _check_size("x and size", windows=n * c * h_out * w_out * size * size)
    grad_output = _array(grad_output, "grad_output", "(N, C, H_out, W_out)", 4)
    if grad_output.shape != (n, c, h_out, w_out):
        raise ValueError(
            f"grad_output must have the output's shape (N, C, H_out, W_out) = {(n, c, h_out, w_out)}; "
            f"got {grad_output.shape}"
        )

    output, indices = _maxpool2d_forward(x, size, stride)
    grad_input = _maxpool2d_backward(indices, grad_output, x.shape)
    ro = _readonly
    return MaxPool2dRecord(
        x=ro(x),
        size=size,
        stride=stride,
        output=ro(output),
        indices=ro(indices.astype(np.int64)),
        grad_output=ro(grad_output),
        grad_input=ro(grad_input),
    )


# ---------------------------------------------------------------------------------------------------------------
# Checks at the door.


def _array(value, argument: str, shape: str, ndim: int) -> np.ndarray:
    """A finite float64 copy with ``ndim`` axes; the ValueError names the argument and its expected shape."""
    try:
        return as_finite_array(value, argument, ndim=(ndim,))
    except ValueError as err:
        raise ValueError(f"{err} (expected {shape})") from None


def _int_in(value, argument: str, low: int, high: int, high_means: str = "") -> int:
    """An int in low..high; ValueError naming ``argument`` and the range otherwise."""
    if isinstance(value, bool) or not isinstance(value, Integral) or not low <= value <= high:
        why = f" ({high_means})" if high_means else ""
        raise ValueError(f"{argument} must be an integer from {low} to {high}{why}; got {_shown(value)}")
    return int(value)


def _shown(value) -> str:
    """A short repr for the message: a student may type a 10,000-digit number."""
    if isinstance(value, Integral) and not isinstance(value, bool) and abs(int(value)) >= 10**40:
        return "an integer of more than 40 digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_size(arguments: str, **sizes: int) -> None:
    """ValueError if any array the call would build holds more than MAX_ELEMENTS numbers."""
    for what, count in sizes.items():
        if count > MAX_ELEMENTS:
            raise ValueError(
                f"{arguments} too large: the {what.replace('_', ' ')} would hold {count:,} numbers, "
                f"more than the limit of {MAX_ELEMENTS:,}; use fewer or smaller images or channels"
            )


__all__ = [
    "Conv2dRecord",
    "MaxPool2dRecord",
    "conv2d_backprop",
    "maxpool2d_backprop",
    "MAX_ELEMENTS",
    "MAX_PADDING",
    "MAX_STRIDE",
]
