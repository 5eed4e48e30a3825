"""Tests for explainer.course.datasets: generated shapes, geometry, determinism, splits and CSV loading."""

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from explainer import Network
from explainer.course.datasets import (
    DATASETS,
    EXAMPLE_CSV,
    TASKS,
    Dataset,
    load_csv,
    make_dataset,
    sample_csv_text,
    train_test_split,
)

CLASSIFIERS = [name for name, spec in DATASETS.items() if spec.task != "regression"]
BINARY = [name for name, spec in DATASETS.items() if spec.task == "binary"]


def write(tmp_path, text, name="data.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


# ---------------------------------------------------------------------------------------------
# Registry and generated data


def test_registry_names_and_metadata():
    assert list(DATASETS) == ["xor", "circles", "moons", "spiral", "blobs", "sine", "gauss", "plane", "multi_gauss"]
    for name, spec in DATASETS.items():
        assert spec.name == name
        assert spec.task in TASKS
        assert spec.description and "\n" not in spec.description
    assert DATASETS["blobs"].task == "multiclass"
    assert DATASETS["blobs"].options == {"n_classes": (3, 2, 6)}
    assert DATASETS["sine"].task == "regression" and DATASETS["sine"].n_features == 1


@pytest.mark.parametrize("name", list(DATASETS))
def test_shapes_dtypes_and_readonly(name):
    spec = DATASETS[name]
    d = make_dataset(name, n_samples=120, test_fraction=0.25, seed=3)
    assert isinstance(d, Dataset)
    assert d.name == name and d.task == spec.task
    assert d.X_train.shape == (90, spec.n_features) and d.X_test.shape == (30, spec.n_features)
    assert d.y_train.shape == (90,) and d.y_test.shape == (30,)
    assert d.X_train.dtype == np.float64
    assert d.y_train.dtype == (np.float64 if spec.task == "regression" else np.int64)
    assert len(d.feature_names) == spec.n_features
    assert d.n_samples == 120 and d.n_features == spec.n_features
    for arr in (d.X_train, d.y_train, d.X_test, d.y_test):
        assert not arr.flags.writeable
    np.testing.assert_array_equal(d.X, np.concatenate([d.X_train, d.X_test]))
    np.testing.assert_array_equal(d.y, np.concatenate([d.y_train, d.y_test]))


@pytest.mark.parametrize("name", list(DATASETS))
def test_no_test_split_gives_empty_arrays_with_trailing_shape(name):
    d = make_dataset(name, n_samples=10)
    assert d.X_test.shape == (0, DATASETS[name].n_features) and d.y_test.shape == (0,)
    assert d.X_train.shape[0] == 10


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classification_features_fill_the_unit_box(name):
    X = make_dataset(name, n_samples=2000, noise=0.0).X
    inside = np.all(np.abs(X) <= 1.0 + 1e-12, axis=1)
    # Gaussian blobs have tails; the shapes are bounded.
    assert inside.mean() > 0.99 if name == "blobs" else inside.all()
    # They use the box, not a corner of it.
    assert np.all(X.max(axis=0) - X.min(axis=0) > 0.9)


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("n", [200, 201])
def test_binary_sets_are_balanced(name, n):
    d = make_dataset(name, n_samples=n, seed=1)
    assert d.n_classes == 2 and d.class_names == ("0", "1")
    assert sorted(np.bincount(d.y).tolist()) == [n // 2, n - n // 2]


@pytest.mark.parametrize("k", range(2, 7))
def test_blobs_every_class_present(k):
    d = make_dataset("blobs", n_samples=k, n_classes=k)
    assert sorted(d.y.tolist()) == list(range(k))
    counts = np.bincount(make_dataset("blobs", n_samples=100, n_classes=k).y)
    assert counts.size == k and counts.max() - counts.min() <= 1
    assert d.n_classes == k and d.n_outputs == k


def test_blobs_cluster_around_points_on_a_circle():
    d = make_dataset("blobs", n_samples=3000, noise=0.0, n_classes=4)
    means = np.array([d.X[d.y == c].mean(axis=0) for c in range(4)])
    np.testing.assert_allclose(np.linalg.norm(means, axis=1), 0.6, atol=0.02)
    # Class c sits at angle 90° + c·90°.
    angles = np.degrees(np.arctan2(means[:, 1], means[:, 0]))
    off = (angles - [90, 180, 270, 0] + 180) % 360 - 180
    np.testing.assert_allclose(off, 0.0, atol=3)
    spread = np.array([d.X[d.y == c].std(axis=0) for c in range(4)])
    np.testing.assert_allclose(spread, 0.15, atol=0.015)


def test_xor_label_is_the_sign_of_the_product_without_noise():
    d = make_dataset("xor", n_samples=500, noise=0.0, seed=5)
    np.testing.assert_array_equal(d.y, (d.X[:, 0] * d.X[:, 1] > 0).astype(int))
    assert np.all(np.abs(d.X) >= 0.06)  # kept off the axes


def test_circles_inner_class_is_inside():
    d = make_dataset("circles", n_samples=1000, noise=0.0)
    r = np.linalg.norm(d.X, axis=1)
    assert r[d.y == 1].max() <= 0.5
    assert r[d.y == 0].min() >= 0.7
    noisy = make_dataset("circles", n_samples=1000, noise=0.1)
    r = np.linalg.norm(noisy.X, axis=1)
    assert r[noisy.y == 1].mean() < 0.4
    assert r[noisy.y == 0].mean() > 0.75


def test_moons_lie_on_their_half_circles_without_noise():
    d = make_dataset("moons", n_samples=400, noise=0.0)
    x0, x1 = 1.5 * d.X[:, 0] + 0.5, 1.5 * d.X[:, 1] + 0.25  # undo the scaling
    upper, lower = d.y == 0, d.y == 1
    np.testing.assert_allclose(x0[upper] ** 2 + x1[upper] ** 2, 1.0)
    assert np.all(x1[upper] >= -1e-12)
    np.testing.assert_allclose((x0[lower] - 1) ** 2 + (x1[lower] - 0.5) ** 2, 1.0)
    assert np.all(x1[lower] <= 0.5 + 1e-12)


def test_spiral_points_follow_their_arm_without_noise():
    d = make_dataset("spiral", n_samples=400, noise=0.0)
    r = np.linalg.norm(d.X, axis=1)
    t = 3.5 * np.pi * r + np.pi * d.y
    np.testing.assert_allclose(d.X, np.column_stack([r * np.sin(t), r * np.cos(t)]), atol=1e-12)


def test_sine_is_sin_x_without_noise_and_noise_has_the_asked_std():
    d = make_dataset("sine", n_samples=300, noise=0.0)
    np.testing.assert_allclose(d.y, np.sin(d.X[:, 0]), atol=1e-15)
    assert d.X.min() >= -np.pi and d.X.max() <= np.pi
    assert d.n_classes is None and d.class_names is None and d.feature_names == ("x",)
    noisy = make_dataset("sine", n_samples=4000, noise=0.2)
    assert abs(np.std(noisy.y - np.sin(noisy.X[:, 0])) - 0.2) < 0.01


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_noise_is_gaussian_with_the_asked_std(name):
    # The same seed draws the same shape and the same standard normals, so the difference is noise · Z.
    clean = make_dataset(name, n_samples=4000, noise=0.0, seed=2)
    noisy = make_dataset(name, n_samples=4000, noise=0.2, seed=2)
    np.testing.assert_array_equal(clean.y, noisy.y)
    diff = noisy.X - clean.X
    np.testing.assert_allclose(diff.std(axis=0), 0.2, atol=0.01)
    np.testing.assert_allclose(diff.mean(axis=0), 0.0, atol=0.01)


@pytest.mark.parametrize("name", list(DATASETS))
def test_same_seed_same_arrays_other_seed_other_arrays(name):
    a = make_dataset(name, n_samples=50, seed=7, test_fraction=0.2)
    b = make_dataset(name, n_samples=50, seed=7, test_fraction=0.2)
    c = make_dataset(name, n_samples=50, seed=8, test_fraction=0.2)
    for field in ("X_train", "y_train", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.X_train, c.X_train)


def test_a_generator_is_accepted_as_seed():
    a = make_dataset("moons", seed=np.random.default_rng(4))
    b = make_dataset("moons", seed=np.random.default_rng(4))
    np.testing.assert_array_equal(a.X, b.X)


def test_test_split_is_a_disjoint_part_of_the_same_samples():
    whole = make_dataset("spiral", n_samples=100, seed=9)
    split = make_dataset("spiral", n_samples=100, seed=9, test_fraction=0.3)
    assert len(split.y_train) == 70 and len(split.y_test) == 30
    rows = {tuple(row) for row in np.column_stack([split.X, split.y])}
    assert len(rows) == 100
    assert rows == {tuple(row) for row in np.column_stack([whole.X, whole.y])}


# ---------------------------------------------------------------------------------------------
# Targets in the form a Network needs


def test_binary_targets_are_float_columns_and_train_a_sigmoid_network():
    d = make_dataset("circles", n_samples=40, test_fraction=0.25)
    t = d.targets()
    assert t.shape == (40, 1) and t.dtype == np.float64
    np.testing.assert_array_equal(t[:, 0], d.y)
    assert d.targets("train").shape == (30, 1) and d.targets("test").shape == (10, 1)
    assert d.n_outputs == 1
    net = Network([2, 3, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=0)
    rec = net.backprop(d.X, t)
    np.testing.assert_array_equal(rec.targets, t)


def test_multiclass_targets_are_labels_with_a_one_hot_helper():
    d = make_dataset("blobs", n_samples=30, n_classes=4)
    np.testing.assert_array_equal(d.targets(), d.y)
    onehot = d.one_hot()
    assert onehot.shape == (30, 4)
    np.testing.assert_array_equal(onehot.argmax(axis=1), d.y)
    np.testing.assert_array_equal(onehot.sum(axis=1), 1.0)
    net = Network([2, 4], output_activation="softmax", loss="cross_entropy", seed=0)
    assert net.loss_value(d.X, d.targets()) == pytest.approx(net.loss_value(d.X, onehot))


def test_regression_targets_are_a_column():
    d = make_dataset("sine", n_samples=25)
    np.testing.assert_array_equal(d.targets(), d.y[:, None])
    with pytest.raises(ValueError, match="regression"):
        d.one_hot()
    with pytest.raises(ValueError, match="split"):
        d.targets("validation")


# ---------------------------------------------------------------------------------------------
# Validation at the door


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"name": "swirl"},
            "name must be one of xor, circles, moons, spiral, blobs, sine, gauss, plane, multi_gauss; got 'swirl'",
        ),
        ({"name": "xor", "n_samples": 0}, "n_samples"),
        ({"name": "xor", "n_samples": 1}, "n_samples must be an integer from 2 to 100,000; got 1"),
        ({"name": "blobs", "n_samples": 4, "n_classes": 5}, "n_samples must be an integer from 5 to 100,000"),
        ({"name": "xor", "n_samples": 10**8}, "n_samples must be an integer from 2 to 100,000; got 100000000"),
        ({"name": "xor", "noise": 11.0}, "noise must be a number from 0 to 10; got 11.0"),
        ({"name": "xor", "noise": 10**400}, "noise must be a finite number ≥ 0; got an integer of about"),
        ({"name": "xor", "n_samples": 10.0}, "n_samples"),
        ({"name": "xor", "noise": -0.1}, "noise"),
        ({"name": "xor", "noise": float("nan")}, "noise"),
        ({"name": "xor", "noise": math.inf}, "noise"),
        ({"name": "xor", "test_fraction": 1.0}, "test_fraction"),
        ({"name": "xor", "test_fraction": -0.1}, "test_fraction"),
        ({"name": "xor", "seed": -1}, "seed"),
        ({"name": "xor", "seed": 1.5}, "seed"),
        ({"name": "xor", "seed": "zero"}, "seed"),
        ({"name": "blobs", "n_classes": 7}, "n_classes must be an integer from 2 to 6; got 7"),
        ({"name": "blobs", "n_classes": 1}, "n_classes"),
        ({"name": "blobs", "classes": 3}, "classes is not an option of 'blobs'; its options: n_classes"),
        ({"name": "xor", "n_classes": 3}, "n_classes is not an option of 'xor'; its options: none"),
    ],
)
def test_make_dataset_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make_dataset(**kwargs)


# ---------------------------------------------------------------------------------------------
# train_test_split


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 300), test_fraction=st.floats(0.0, 1.0, exclude_max=True), seed=st.integers(0, 2**32))
def test_split_sizes_and_disjointness_for_any_n_and_fraction(n, test_fraction, seed):
    X = np.arange(n, dtype=float)[:, None]
    X_train, X_test, y_train, y_test = train_test_split(X, np.arange(n), test_fraction, seed)
    assert len(X_test) == min(math.floor(test_fraction * n + 0.5), n - 1)
    assert len(X_train) == n - len(X_test) >= 1
    np.testing.assert_array_equal(np.sort(np.concatenate([y_train, y_test])), np.arange(n))
    np.testing.assert_array_equal(X_train[:, 0], y_train)  # rows stay paired
    np.testing.assert_array_equal(X_test[:, 0], y_test)


def test_split_is_shuffled_and_deterministic():
    X, y = np.arange(100.0).reshape(50, 2), np.arange(50)
    a = train_test_split(X, y, 0.2, seed=1)
    b = train_test_split(X, y, 0.2, seed=1)
    c = train_test_split(X, y, 0.2, seed=2)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[3], c[3])
    assert not np.array_equal(a[2], np.sort(a[2]))  # shuffled, not the first 40 rows
    assert (len(a[0]), len(a[1])) == (40, 10)


def test_split_rejects_bad_input():
    with pytest.raises(ValueError, match="y must have one row per sample of X"):
        train_test_split(np.zeros((5, 2)), np.zeros(4), 0.2)
    with pytest.raises(ValueError, match="X must hold at least one sample"):
        train_test_split(np.zeros((0, 2)), np.zeros(0), 0.2)
    with pytest.raises(ValueError, match=re.escape("test_fraction must be a number in [0.0, 1.0); got 1")):
        train_test_split(np.zeros((5, 2)), np.zeros(5), 1)
    with pytest.raises(ValueError, match="seed"):
        train_test_split(np.zeros((5, 2)), np.zeros(5), 0.2, seed=-3)


# ---------------------------------------------------------------------------------------------
# load_csv


def test_csv_round_trip_with_header(tmp_path):
    d = make_dataset("blobs", n_samples=30, n_classes=3, seed=4)
    lines = ["a,b,cls"] + [f"{x0!r},{x1!r},{label}" for (x0, x1), label in zip(d.X.tolist(), d.y.tolist())]
    loaded = load_csv(write(tmp_path, "\n".join(lines) + "\n", "blobs.csv"))
    np.testing.assert_array_equal(loaded.X, d.X)  # repr round-trips floats exactly, file order kept
    np.testing.assert_array_equal(loaded.y, d.y)
    assert loaded.name == "blobs" and loaded.task == "multiclass" and loaded.n_classes == 3
    assert loaded.feature_names == ("a", "b") and loaded.class_names == ("0", "1", "2")
    assert loaded.X_test.shape == (0, 2)


def test_csv_round_trip_without_header_and_regression(tmp_path):
    d = make_dataset("sine", n_samples=20, seed=1)
    path = write(tmp_path, "".join(f"{x!r},{y!r}\n" for x, y in zip(d.X[:, 0].tolist(), d.y.tolist())))
    loaded = load_csv(path)
    assert loaded.task == "regression" and loaded.n_classes is None and loaded.class_names is None
    assert loaded.feature_names == ("x0",)
    np.testing.assert_array_equal(loaded.X, d.X)
    np.testing.assert_array_equal(loaded.y, d.y)
    np.testing.assert_array_equal(loaded.targets(), d.targets())


def test_header_auto_detection_and_override(tmp_path):
    numeric = write(tmp_path, "1,2,0\n3,4,1\n5,6,0\n", "numeric.csv")
    assert load_csv(numeric).n_samples == 3
    assert load_csv(numeric, has_header=True).feature_names == ("1", "2")
    named = write(tmp_path, "height,weight,label\n1,2,0\n3,4,1\n", "named.csv")
    d = load_csv(named)
    assert d.feature_names == ("height", "weight") and d.n_samples == 2
    with pytest.raises(ValueError, match=r"row 1, column 1 \('x0'\): 'height' is not a number"):
        load_csv(named, has_header=False)
    # One non-numeric feature cell in the first row is enough to make it a header.
    year = load_csv(write(tmp_path, "city,2020,label\n1,2,0\n3,4,1\n", "year.csv"))
    assert year.feature_names == ("city", "2020") and year.n_samples == 2


def test_string_labels_map_to_sorted_class_indices(tmp_path):
    path = write(tmp_path, "x,y,animal\n0,0,cat\n1,0,ant\n0,1,bee\n1,1,cat\n")
    d = load_csv(path)
    assert d.class_names == ("ant", "bee", "cat") and d.task == "multiclass" and d.n_classes == 3
    np.testing.assert_array_equal(d.y, [2, 0, 1, 2])
    np.testing.assert_array_equal(d.one_hot()[0], [0, 0, 1])
    binary = load_csv(write(tmp_path, "0,0,yes\n1,0,no\n1,1,yes\n", "b.csv"))
    assert binary.task == "binary" and binary.class_names == ("no", "yes")
    np.testing.assert_array_equal(binary.targets()[:, 0], [1.0, 0.0, 1.0])


def test_numeric_labels_sort_as_numbers(tmp_path):
    d = load_csv(write(tmp_path, "0,10\n1,9\n2,2\n3,10.0\n"))
    assert d.class_names == ("2", "9", "10")
    np.testing.assert_array_equal(d.y, [2, 1, 0, 2])


def test_task_auto_and_explicit(tmp_path):
    fractional = write(tmp_path, "0,0.5\n1,1.5\n2,0.25\n", "f.csv")
    assert load_csv(fractional).task == "regression"
    many = write(tmp_path, "".join(f"{i},{i}\n" for i in range(11)), "many.csv")
    assert load_csv(many).task == "regression"  # more than MAX_AUTO_CLASSES whole numbers
    assert load_csv(many, task="multiclass").n_classes == 11
    two = write(tmp_path, "0,0\n1,1\n2,1\n", "two.csv")
    assert load_csv(two).task == "binary"
    assert load_csv(two, task="multiclass").n_outputs == 2
    np.testing.assert_array_equal(load_csv(two, task="regression").targets()[:, 0], [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="task 'binary' needs exactly 2 classes; the labels hold 3"):
        load_csv(write(tmp_path, "0,0\n1,1\n2,2\n", "three.csv"), task="binary")
    with pytest.raises(ValueError, match=r"row 2, column 2 \('label'\): the label 'b' is not a number"):
        load_csv(write(tmp_path, "0,1.5\n1,b\n", "mixed.csv"), task="regression")
    with pytest.raises(ValueError, match="task must be one of auto, binary, multiclass, regression"):
        load_csv(two, task="classify")


def test_label_column_by_index_or_name_and_split(tmp_path):
    path = write(tmp_path, "label,a,b\nx,1,2\ny,3,4\nx,5,6\ny,7,8\n")
    d = load_csv(path, label_column=0)
    np.testing.assert_array_equal(d.X, [[1, 2], [3, 4], [5, 6], [7, 8]])
    assert d.feature_names == ("a", "b")
    by_name = load_csv(path, label_column="label")
    np.testing.assert_array_equal(by_name.X, d.X)
    with pytest.raises(ValueError, match=r"row 2, column 1 \('label'\): 'x' is not a number"):
        load_csv(path, label_column="a")  # then the text column is a feature
    split = load_csv(path, label_column=0, test_fraction=0.5, seed=0)
    assert (len(split.y_train), len(split.y_test)) == (2, 2)
    assert sorted(map(tuple, split.X.tolist())) == sorted(map(tuple, d.X.tolist()))


def test_blank_lines_whitespace_and_bom_are_tolerated(tmp_path):
    path = write(tmp_path, "\ufeffa, b ,c\n\n 1 , 2, p\n\n3,4 ,q\n")
    d = load_csv(path)
    assert d.feature_names == ("a", "b") and d.class_names == ("p", "q")
    np.testing.assert_array_equal(d.X, [[1, 2], [3, 4]])


def test_example_csv_ships_and_loads():
    assert EXAMPLE_CSV.is_file()
    text = sample_csv_text()
    assert text.splitlines()[0] == "hours_studied,hours_slept,result"
    d = load_csv(EXAMPLE_CSV)
    assert d.name == "example" and d.task == "binary" and d.class_names == ("fail", "pass")
    assert d.feature_names == ("hours_studied", "hours_slept")
    assert d.X.shape == (40, 2) and 0 < d.y.sum() < 40
    np.testing.assert_array_equal(d.X[0], [6.3, 5.3])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("\n\n", "the file is empty"),
        ("a,b,c\n", "no data rows after the header"),
        ("1,2,0\n3,4\n5,6,1\n", r"row 2 has 2 columns, expected 3 \(ragged rows\)"),
        ("x0,x1,y\n1,2,0\n3,abc,1\n", r"row 3, column 2 \('x1'\): 'abc' is not a number"),
        ("x0,x1,y\n1,,0\n", r"row 2, column 2 \('x1'\): '' is not a number"),
        ("1\n2\n", "needs at least 2 columns"),
        ("1,2,0\nnan,4,1\n", r"row 2, column 1 \('x0'\): 'nan' is not finite"),
        ("1,2,0\n3,inf,1\n", r"row 2, column 2 \('x1'\): 'inf' is not finite"),
        ("1,2,a\n3,4,a\n", r"a single class \('a'\)"),
        ("1,2,a\n3,4,\n", r"row 2, column 3 \('label'\): the label '' is empty"),
        ("1,2,0\n3,4,nan\n", r"row 2, column 3 \('label'\): the label 'nan' is not finite"),
    ],
)
def test_malformed_csv_errors_name_the_path_and_the_place(tmp_path, text, message):
    path = write(tmp_path, text, "bad.csv")
    with pytest.raises(ValueError, match=re.escape(f"path {str(path)!r}")):
        load_csv(path)
    with pytest.raises(ValueError, match=message):
        load_csv(path)


def test_unreadable_paths(tmp_path):
    missing = tmp_path / "nope.csv"
    with pytest.raises(ValueError, match=re.escape(f"path {str(missing)!r}: no such file")):
        load_csv(missing)
    with pytest.raises(ValueError, match="not a file"):
        load_csv(tmp_path)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81,1\n")
    with pytest.raises(ValueError, match=re.escape(f"path {str(binary)!r}: cannot read the file")):
        load_csv(binary)
    with pytest.raises(ValueError, match="path must be a file path"):
        load_csv(3.5)


def test_bad_load_csv_arguments(tmp_path):
    path = write(tmp_path, "a,b,c\n1,2,0\n3,4,1\n")
    with pytest.raises(ValueError, match=re.escape("label_column must be a column index from -3 to 2")):
        load_csv(path, label_column=3)
    with pytest.raises(ValueError, match="label_column 'd' is not a column name"):
        load_csv(path, label_column="d")
    with pytest.raises(ValueError, match="has_header must be True, False or None"):
        load_csv(path, has_header="yes")
    with pytest.raises(ValueError, match="test_fraction"):
        load_csv(path, test_fraction=1.5)


# ---------------------------------------------------------------------------------------------
# Limits, and the header decided by content


def test_the_largest_data_set_is_allowed_and_one_more_sample_is_not():
    import time

    d = make_dataset("xor", n_samples=100_000, seed=0)
    assert d.n_samples == 100_000
    start = time.perf_counter()
    with pytest.raises(ValueError, match="n_samples must be an integer from 2 to 100,000"):
        make_dataset("xor", n_samples=100_001)
    with pytest.raises(ValueError, match="n_samples"):
        make_dataset("xor", n_samples=10**8)  # before: 1.5 GB allocated
    assert time.perf_counter() - start < 0.1


@pytest.mark.parametrize(
    ("text", "header", "n", "why"),
    [
        ("2019,2020,label\n1,2,0\n3,4,1\n", True, 2, "its label cell 'label' is text, while every label below it is"),
        ("1,2,3\n4,5,cat\n6,7,dog\n", True, 2, "its label cell '3' is number, while every label below it is text"),
        ("x,2020,label\n1,2,0\n3,4,1\n", True, 2, "its cell 'x' in feature column 1 is not a number"),
        ("1,2,0\n3,4,1\n5,6,0\n", False, 3, "the first row was read as data"),
        ("0.5,2,cat\n1,4,dog\n3,4,cat\n", False, 3, "the first row was read as data"),
        ("1,2,0\n3,4,cat\n", False, 2, "the first row was read as data"),  # one row below is no evidence
    ],
)
def test_the_header_is_decided_by_the_kinds_of_the_cells(tmp_path, text, header, n, why):
    d = load_csv(write(tmp_path, text))
    assert d.header is header and d.n_samples == n
    assert why in d.note
    if header:
        assert "label" not in (d.class_names or ()) or text.startswith("1,2,3")  # before: 'label' became a class


def test_a_numeric_header_above_numeric_labels_is_not_a_class(tmp_path):
    d = load_csv(write(tmp_path, "2019,2020,label\n1,2,0\n3,4,1\n5,6,1\n"))
    assert d.feature_names == ("2019", "2020") and d.class_names == ("0", "1") and d.task == "binary"
    np.testing.assert_array_equal(d.X, [[1, 2], [3, 4], [5, 6]])


def test_the_note_points_at_a_lonely_first_label(tmp_path):
    d = load_csv(write(tmp_path, "2019,2020,label\n1,2,cat\n3,4,dog\n5,6,cat\n"))
    assert d.header is False and "its label 'label' appears in no other row" in d.note
    assert "has_header=True" in d.note
    fixed = load_csv(write(tmp_path, "2019,2020,label\n1,2,cat\n3,4,dog\n5,6,cat\n"), has_header=True)
    assert fixed.header is True and fixed.class_names == ("cat", "dog") and "has_header=True" in fixed.note


def test_generated_sets_have_no_header_decision():
    d = make_dataset("xor", n_samples=10)
    assert d.header is None and d.note == ""


def test_csv_size_and_row_limits(tmp_path, monkeypatch):
    from explainer.course import datasets

    path = write(tmp_path, "a,b,c\n" + "1,2,0\n1,2,1\n" * 15)
    monkeypatch.setattr(datasets, "MAX_CSV_BYTES", 100)
    with pytest.raises(ValueError, match=r"the file is 186 bytes; a CSV may be at most 100 bytes"):
        load_csv(path)
    monkeypatch.setattr(datasets, "MAX_CSV_BYTES", 10**6)
    monkeypatch.setattr(datasets, "MAX_SAMPLES", 29)
    with pytest.raises(ValueError, match="more than 29 data rows"):
        load_csv(path)
    monkeypatch.setattr(datasets, "MAX_SAMPLES", 30)
    assert load_csv(path).n_samples == 30
    no_header = write(tmp_path, "1,2,0\n1,2,1\n" * 15 + "1,2,0\n", "nh.csv")
    with pytest.raises(ValueError, match="more than 30 data rows"):
        load_csv(no_header)
    monkeypatch.setattr(datasets, "MAX_CSV_COLUMNS", 3)
    with pytest.raises(ValueError, match="has 4 columns; at most 3"):
        load_csv(write(tmp_path, "1,2,3,0\n", "wide.csv"))


def test_csv_is_read_as_a_stream_in_a_small_multiple_of_its_size(tmp_path):
    """Memory stays near the float64 array: before, every cell was kept as a Python string (24× the file)."""
    import tracemalloc

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 20))
    lines = ["".join(f"{v:.6f}," for v in row) + ("cat" if i % 2 else "dog") for i, row in enumerate(X)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    size = path.stat().st_size
    tracemalloc.start()
    d = load_csv(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert d.n_samples == 20_000 and d.n_features == 20
    assert peak < 2.5 * size, f"peak {peak / size:.1f}× the file's {size:,} bytes"


# ---------------------------------------------------------------------------------------------
# TF Playground's other shapes, scaling, your own points


def test_tf_playground_shapes():
    gauss = make_dataset("gauss", n_samples=400, noise=0.0, seed=0)
    inside = np.sign(gauss.X_train.sum(axis=1)) == np.where(gauss.y_train == 1, 1, -1)
    assert inside.mean() > 0.99  # the line x₁ + x₂ = 0 separates the two clusters
    plane = make_dataset("plane", n_samples=200, noise=0.0, seed=1)
    np.testing.assert_allclose(plane.y_train, plane.X_train.sum(axis=1) / 2)
    bumps = make_dataset("multi_gauss", n_samples=500, noise=0.0, seed=2)
    assert bumps.task == "regression" and bumps.n_features == 2
    assert -1 <= bumps.y_train.min() < -0.5 and 0.5 < bumps.y_train.max() <= 1
    near = np.hypot(bumps.X_train[:, 0] - 0.8, bumps.X_train[:, 1] - 0.5) < 0.1  # the hill at (0.8, 0.5)
    assert np.all(bumps.y_train[near] > 0.7)


def test_scaled_multiplies_the_features_only():
    ds = make_dataset("spiral", n_samples=50, seed=0, test_fraction=0.2)
    big = ds.scaled(5)
    np.testing.assert_array_equal(big.X_train, ds.X_train * 5)
    np.testing.assert_array_equal(big.X_test, ds.X_test * 5)
    np.testing.assert_array_equal(big.y_train, ds.y_train)
    assert not big.X_train.flags.writeable
    for bad in (0, -1, float("inf"), "5", 1e9):
        with pytest.raises(ValueError, match="factor"):
            ds.scaled(bad)


def test_points_dataset():
    from explainer.course.datasets import points_dataset

    ds = points_dataset([[0.0, 1.0], [2.0, 3.0]], [0, 1], [[1.0, 1.0]], [1])
    assert ds.task == "binary" and ds.n_classes == 2 and ds.n_samples == 3
    np.testing.assert_array_equal(ds.targets("train"), [[0.0], [1.0]])
    empty = points_dataset(None, None)
    assert empty.X_train.shape == (0, 2) and empty.n_samples == 0
    reg = points_dataset([[0.0, 0.0]], [0.25], task="regression")
    assert reg.n_classes is None and reg.y_train.dtype == np.float64
    three = points_dataset([[0.0, 0.0]], [2], task="multiclass", n_classes=3)
    assert three.class_names == ("0", "1", "2")
    for args, kwargs, match in (
        (([[0.0, 1.0]], [2]), {}, "y_train must hold class labels 0 to 1"),
        (([[0.0, 1.0, 2.0]], [0]), {}, r"X_train must be an array of points \(n, 2\)"),
        (([[0.0, np.nan]], [0]), {}, "X_train must hold only finite numbers"),
        (([[0.0, 1.0]], [0, 1]), {}, "y_train must hold one number per point"),
        (([[0.0, 1.0]], [0]), {"task": "binary", "n_classes": 3}, "n_classes must be 2"),
        (([[0.0, 1.0]], [0]), {"task": "clustering"}, "task must be one of"),
        (([[0.0, 1.0]], ["a"]), {}, "y_train must hold one number per point"),
    ):
        with pytest.raises(ValueError, match=match):
            points_dataset(*args, **kwargs)
