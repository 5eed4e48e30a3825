"""Tests for explainer._files: atomic writes and size-limited reads.

The central test makes a save fail half-way in a child process, the way a full disk or a killed kernel
would: a file-size limit (RLIMIT_FSIZE) kills the child with SIGXFSZ part-way through writing, or (with
SIGXFSZ ignored) makes the write raise. Either way the previous file must still be there, whole and valid.
"""

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from explainer import History, Network, train
from explainer._files import as_path, read_text_limited, write_text_atomic

resource = pytest.importorskip("resource")  # POSIX only

# What each child saves over the previous (small, valid) file: far more than the file-size limit allows.
SAVES = {
    "Network.save": "Network([64, 256, 256, 8], seed=0).save(path)",
    "History.to_json": "train(Network([2, 64, 64, 2], seed=0), X, Y, steps=300).to_json(path)",
    "Record.to_json": "Network([2, 64, 64, 2], seed=0).backprop(X, Y).to_json(path)",
    "Record.to_csv": "Network([2, 64, 64, 2], seed=0).backprop(X, Y).to_csv(path)",
    "History.to_csv": "train(Network([2, 64, 64, 2], seed=0), X, Y, steps=300).to_csv(path)",
}

CHILD = """
import resource, signal, sys
import numpy as np
from explainer import Network, train
path = sys.argv[1]
X = np.random.default_rng(0).normal(size=(20, 2)); Y = np.random.default_rng(1).uniform(size=(20, 2))
# Python ignores SIGXFSZ, so a write past the limit fails with EFBIG; restored, the signal kills the process
# part-way through the write, as a killed kernel would be.
signal.signal(signal.SIGXFSZ, signal.SIG_DFL if sys.argv[2] == "killed" else signal.SIG_IGN)
limit = 64 * 1024
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    {save}
except ValueError as err:
    print("ValueError:", err)
    sys.exit(3)
sys.exit(0)
"""


def previous_file(tmp_path, name="saved.json"):
    path = tmp_path / name
    net = Network([2, 2, 1], seed=7)
    net.save(path)
    return path, path.read_text()


@pytest.mark.parametrize("mode", ["killed", "raise"])
@pytest.mark.parametrize("save", list(SAVES))
def test_a_save_that_dies_half_way_leaves_the_previous_file_intact(tmp_path, save, mode):
    path, before = previous_file(tmp_path)
    code = textwrap.dedent(CHILD).replace("{save}", SAVES[save])
    result = subprocess.run([sys.executable, "-c", code, str(path), mode], capture_output=True, text=True, timeout=120)
    if mode == "killed":
        assert result.returncode == -signal.SIGXFSZ, (result.returncode, result.stdout, result.stderr)
    else:
        assert result.returncode == 3, result.stderr
        assert "cannot write the file" in result.stdout and "previous file" in result.stdout
    assert path.read_text() == before
    Network.load(path)  # still a valid network file
    json.loads(path.read_text())
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != path.name]
    if mode == "raise":
        assert leftovers == [], "the temporary file is removed when the write fails"
    else:
        # A killed process cannot clean up: at most its own hidden temporary file is left, never the target.
        assert all(name.startswith(f".{path.name}.") and name.endswith(".tmp") for name in leftovers)


def test_write_replaces_and_keeps_the_mode(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("old")
    os.chmod(path, 0o640)
    write_text_atomic(path, "new ✓")
    assert path.read_text(encoding="utf-8") == "new ✓"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]


def test_a_new_file_gets_the_usual_mode(tmp_path):
    path = tmp_path / "new.txt"
    write_text_atomic(path, "x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~umask


def test_a_failed_replace_removes_the_temporary_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    path, before = previous_file(tmp_path)

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ValueError, match="path .*cannot write the file \\(No space left on device\\)"):
        Network([3, 3, 1], seed=1).save(path)
    monkeypatch.undo()
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


@pytest.mark.parametrize(
    "write",
    [
        lambda p: Network([2, 1]).save(p),
        lambda p: Network([2, 1]).backprop([[0.0, 1.0]], [0.5]).to_json(p),
        lambda p: Network([2, 1]).backprop([[0.0, 1.0]], [0.5]).to_csv(p),
        lambda p: train(Network([2, 1]), [[0.0, 1.0]], [0.5], steps=2).to_json(p),
        lambda p: train(Network([2, 1]), [[0.0, 1.0]], [0.5], steps=2).to_csv(p),
    ],
)
def test_every_engine_save_is_atomic(tmp_path, monkeypatch, write):
    """Each save goes through write_text_atomic: a failing os.replace leaves the old file untouched."""
    path = tmp_path / "target"
    path.write_text("previous")
    monkeypatch.setattr(os, "replace", lambda src, dst: (_ for _ in ()).throw(OSError(5, "I/O error")))
    with pytest.raises(ValueError, match="cannot write the file"):
        write(path)
    monkeypatch.undo()
    assert path.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["target"]


def test_unwritable_places_are_value_errors_naming_the_path(tmp_path):
    with pytest.raises(ValueError, match="path .*no_such_folder.*cannot write the file"):
        write_text_atomic(tmp_path / "no_such_folder" / "x.json", "{}")
    with pytest.raises(ValueError, match="path must be a file path"):
        write_text_atomic(3.5, "{}")
    with pytest.raises(ValueError, match="path must be a non-empty file path"):
        write_text_atomic("", "{}")
    with pytest.raises(ValueError, match="text must be a str"):
        write_text_atomic(tmp_path / "x", b"bytes")
    with pytest.raises(ValueError, match="cannot write the file"):
        write_text_atomic(tmp_path, "a folder is not a file")


def test_read_text_limited_refuses_big_files_before_reading(tmp_path):
    path = tmp_path / "big.json"
    path.write_text("x" * 1000)
    assert read_text_limited(path, 1000) == "x" * 1000
    with pytest.raises(ValueError, match="is 1,000 bytes; a file may be at most 999 bytes"):
        read_text_limited(path, 999)
    with pytest.raises(ValueError, match="not a readable file"):
        read_text_limited(tmp_path / "missing", 10)
    with pytest.raises(ValueError, match="not a file"):
        read_text_limited(tmp_path, 10)
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe\x81")
    with pytest.raises(ValueError, match="not a readable file"):
        read_text_limited(tmp_path / "bad.txt", 10)


def test_network_load_refuses_a_huge_file_before_parsing_it(tmp_path, monkeypatch):
    from explainer.engine import storage

    path = tmp_path / "net.json"
    Network([2, 3, 1]).save(path)
    monkeypatch.setattr(storage, "MAX_NETWORK_FILE_BYTES", 100)
    with pytest.raises(ValueError, match="a network JSON file may be at most 100 bytes"):
        Network.load(path)


def test_as_path():
    assert str(as_path("a/b.json")) == "a/b.json"
    with pytest.raises(ValueError, match="NUL"):
        as_path("a\x00b")


def test_history_round_trips_through_an_atomic_file(tmp_path):
    h = train(Network([2, 2, 1], seed=0), np.eye(2), [0.0, 1.0], steps=5)
    path = tmp_path / "h.json"
    h.to_json(path)
    back = History.from_json(path)
    np.testing.assert_array_equal(back.parameters, h.parameters)
