"""A network as plain data and as a file: ``to_dict``/``from_dict``/``save``/``load`` of ``Network``.

A dict or file is checked whole before a network is built from it: the format, the sizes (within the
network's limits, so a shared file cannot allocate gigabytes), the batch-norm flags, the activations, the
loss, the length and finiteness of the parameters and every frozen name. A network with batch norm has the
key ``batch_norm`` (one flag per hidden layer; its γ and β are in ``parameters``, after the biases); one
without it is written exactly as before the option existed. A problem is a ValueError naming the entry, e.g.
``data['parameters']``; nothing is half-applied. Saves are atomic (``explainer._files``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._files import read_text_limited, write_text_atomic
from .._validate import short_repr
from .parameters import ParameterNames, check_batch_norm, check_sizes

if TYPE_CHECKING:
    from .network import Network

FORMAT = "backprop-explainer network"
VERSION = 1
# A saved network of the largest allowed size (10⁶ parameters) takes about 25 MB.
MAX_NETWORK_FILE_BYTES = 64 * 2**20


def network_to_dict(net: Network) -> dict:
    """Architecture, parameters and frozen flags as plain JSON-ready values."""
    out = {
        "format": FORMAT,
        "version": VERSION,
        "sizes": list(net.sizes),
        "activation": list(net.layer_activations[:-1]),
        "output_activation": net.output_activation,
        "loss": net.loss,
        "init": net.init,
        "parameters": net.theta.tolist(),
        "frozen": net.frozen,
    }
    if any(net.batch_norm):
        out["batch_norm"] = list(net.batch_norm)
    return out


def network_from_dict(cls: type[Network], data) -> Network:
    """A network rebuilt from ``network_to_dict`` output, every entry checked first (see the module)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"data must be a dict made by Network.to_dict() (format {FORMAT!r})")
    for key in ("sizes", "activation", "output_activation", "loss", "parameters"):
        if key not in data:
            raise ValueError(f"data is missing the key {key!r}")
    version = data.get("version", VERSION)
    if version != VERSION:
        raise ValueError(f"data['version'] must be {VERSION}; got {short_repr(version)}")
    sizes = check_sizes(data["sizes"], "data['sizes']")
    batch_norm = check_batch_norm(data.get("batch_norm", False), sizes, "data['batch_norm']")
    names = ParameterNames(sizes, batch_norm)
    hidden = data["activation"]
    if isinstance(hidden, list) and not hidden:
        hidden = "sigmoid"  # a network without hidden layers (any name will do)
    init = data.get("init", "auto")
    frozen = data.get("frozen") or []
    if not isinstance(frozen, list) or not all(isinstance(f, str) for f in frozen):
        raise ValueError(f"data['frozen'] must be a list of parameter names; got {short_repr(frozen)}")
    frozen_index = names.indices(frozen, "data['frozen']: freeze")
    theta = _parameters(data["parameters"], names.size)
    # Everything the constructor checks (names of activations, loss, init) fails before allocation too,
    # with the argument's own name; only then are the checked values written in.
    try:
        net = cls(
            sizes,
            activation=hidden,
            output_activation=data["output_activation"],
            loss=data["loss"],
            init=init,
            batch_norm=batch_norm,
        )
    except ValueError as err:
        raise ValueError(f"data: {err}") from None
    net.theta[...] = theta
    if frozen_index.size:
        net.freeze(*frozen)  # names already checked above
    return net


def _parameters(values, P: int) -> np.ndarray:
    """The flat parameters as a float64 (P,) array; the length is checked before any conversion."""
    if not isinstance(values, (list, tuple, np.ndarray)):
        raise ValueError(f"data['parameters'] must be a list of {P} numbers; got {type(values).__name__}")
    if len(values) != P:
        raise ValueError(f"data['parameters'] must have length {P} (the sizes' parameters); got {len(values)}")
    try:
        theta = np.array(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"data['parameters'] must be a list of {P} numbers") from None
    if theta.shape != (P,):
        raise ValueError(f"data['parameters'] must be a flat list of {P} numbers; got shape {theta.shape}")
    if not np.all(np.isfinite(theta)):
        raise ValueError("data['parameters'] must hold only finite numbers (no NaN, inf or null)")
    return theta


def save_network(net: Network, path: str | Path) -> None:
    """Write ``net`` as JSON to ``path``, atomically."""
    write_text_atomic(path, json.dumps(network_to_dict(net), indent=1))


def load_network(cls: type[Network], path: str | Path) -> Network:
    """Read a network written by ``save_network``; ValueError if the file is not one, or too large."""
    text = read_text_limited(path, MAX_NETWORK_FILE_BYTES, what="network JSON file")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as err:
        raise ValueError(f"path {str(path)!r} is not a readable network JSON file: {err}") from None
    return network_from_dict(cls, data)


__all__ = ["FORMAT", "MAX_NETWORK_FILE_BYTES", "load_network", "network_from_dict", "network_to_dict", "save_network"]
