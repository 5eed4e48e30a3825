"""Refresh the static pictures stored in the notebooks, so that they read on GitHub and nbviewer: ``make pictures``.

Each notebook runs top to bottom in a fresh kernel (nbclient). Every output whose bundle offers a static picture
(``image/svg+xml`` or ``image/png`` beside the live widget view, as an app's ``_repr_mimebundle_`` does) is stored
as that picture alone; the widget view and everything else a run changes are left out, as ``scripts/nbclean.py``
stores a notebook. The printed numbers of the cells tagged ``nbval-check-output`` are kept as they are stored (nbval
compares them; a run would only add round-off noise). A second run with no change in the code rewrites nothing.

Usage: python scripts/notebook_pictures.py [NOTEBOOK ...] [--timeout S] [--check]
(no NOTEBOOK: notebooks/*.ipynb and notebooks/apps/*.ipynb; --check writes nothing and exits 1 if a notebook's
stored pictures are not what a run gives.)
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from pathlib import Path

import nbformat

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent
sys.path.insert(0, str(SCRIPTS))
import nbclean  # noqa: E402  (a sibling script, standard library only)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def default_notebooks() -> list[Path]:
    found = [*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "notebooks" / "apps").glob("*.ipynb")]
    return sorted(p for p in found if not p.name.startswith("."))


def execute(path: Path, timeout: int) -> nbformat.NotebookNode:
    """The notebook run top to bottom in a fresh kernel started in its folder."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=False,
        shutdown_kernel="immediate",
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    client.execute(env=dict(os.environ))
    return nb


def _is_picture(output: dict) -> bool:
    return output.get("output_type") == "display_data" and set(output.get("data", {})) <= set(nbclean.PICTURES)


def refresh(stored: dict, executed: dict) -> tuple[dict, list[str]]:
    """``stored`` with each code cell's pictures replaced by the run's; also the cells that showed a widget but
    offered no picture (named by their first line)."""
    result = copy.deepcopy(nbclean.clean(stored))
    ran = nbclean.clean(executed)
    missing = []
    for cell, cell_ran, cell_raw in zip(result["cells"], ran["cells"], executed["cells"]):
        if cell.get("cell_type") != "code":
            continue
        pictures = [o for o in cell_ran["outputs"] if _is_picture(o)]
        cell["outputs"] = [o for o in cell["outputs"] if not _is_picture(o)] + pictures
        shows_widget = any(WIDGET_VIEW in o.get("data", {}) for o in cell_raw.get("outputs", []))
        if shows_widget and not pictures:
            missing.append(nbclean._source(cell).strip().splitlines()[-1])
    return nbclean.clean(result), missing  # cleaned again: a cell that now keeps a picture gets its count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb, notebooks/apps/*.ipynb")
    parser.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a notebook would change")
    args = parser.parse_args(argv)
    notebooks = [p.resolve() for p in args.notebooks] or default_notebooks()
    missing_files = [str(p) for p in notebooks if not p.is_file()]
    if missing_files:
        parser.error(f"no such notebook: {', '.join(missing_files)}")
    changed, failed = [], False
    for path in notebooks:
        start = time.perf_counter()
        text = path.read_text(encoding="utf-8")
        try:
            executed = execute(path, args.timeout)
        except Exception as err:  # report it and go on with the others
            failed = True
            print(f"pictures: FAILED {path.name}: {type(err).__name__}: {err}", file=sys.stderr)
            continue
        result, missing = refresh(json.loads(text), json.loads(nbformat.writes(executed)))
        new_text = nbclean.dumps(result)
        count = sum(_is_picture(o) for c in result["cells"] for o in c.get("outputs", []))
        status = "unchanged" if new_text == text else ("would change" if args.check else "written")
        print(f"pictures: {path.name}: {count} picture(s), {status} ({time.perf_counter() - start:.1f} s)")
        for line in missing:
            print(f"pictures:   {path.name}: `{line}` shows a widget but offers no image/svg+xml or image/png")
        if new_text != text:
            changed.append(path)
            if not args.check:
                path.write_text(new_text, encoding="utf-8")
    return 1 if failed or (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
