"""A notebook as the repository stores it: what a run changes is left out, so running a notebook leaves git clean.

Stored: the sources, the authored metadata (slide types, tags), the printed numbers of the cells marked
tagged ``nbval-check-output`` (nbval compares them; a run prints them again, identically) and the static pictures
(``image/svg+xml`` / ``image/png`` outputs, refreshed by ``make pictures``). Left out: timings, execution counts
(a cell with stored outputs gets the one a top-to-bottom run gives it), widget state and views, plotly figures,
any other output, and the kernel's version details.

As a git filter (the README's "For a class" paragraph), with nothing to install but the Python a student has::

    git config filter.nbclean.clean "python3 scripts/nbclean.py"    # once per clone; .gitattributes names it

git then compares the cleaned notebook with the stored one: a notebook that was only run shows as unchanged, and
``git pull`` updates it. Also: ``python3 scripts/nbclean.py FILE…`` rewrites files in place, ``--check FILE…`` exits
1 naming those that are not stored clean. Standard library only: git runs it with whatever ``python3`` is on PATH.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

CHECK_TAG = "nbval-check-output"  # the cell tag nbval compares outputs of (under --nbval-lax)
PICTURES = ("image/svg+xml", "image/png")
# Cell metadata a run or a click writes (nbclient's timings, a collapsed output); the rest is authored.
RUN_CELL_METADATA = ("execution", "collapsed", "scrolled")
# Of the kernel's language_info only what does not change with the Python version.
LANGUAGE_INFO_KEPT = ("name", "pygments_lexer")


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else value


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _source(cell: dict) -> str:
    return _text(cell.get("source", ""))


def clean_outputs(cell: dict) -> list[dict]:
    """The outputs of one code cell that the repository keeps."""
    checked = CHECK_TAG in cell.get("metadata", {}).get("tags", [])
    kept: list[dict] = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream" and checked:
            if kept and kept[-1]["output_type"] == "stream" and kept[-1]["name"] == output["name"]:
                kept[-1]["text"] = _lines(_text(kept[-1]["text"]) + _text(output["text"]))  # as JupyterLab merges
            else:
                kept.append({"name": output["name"], "output_type": "stream", "text": _lines(_text(output["text"]))})
        elif kind in ("display_data", "execute_result"):
            data = output.get("data", {})
            pictures = {key: data[key] for key in PICTURES if key in data}
            if pictures:  # the picture alone: the widget view and its text/plain change with every run
                metadata = {key: output["metadata"][key] for key in PICTURES if key in output.get("metadata", {})}
                kept.append({"data": pictures, "metadata": metadata, "output_type": "display_data"})
            elif checked:
                kept.append(output)
        elif kind == "error" and checked:
            kept.append(output)
    return kept


def clean(nb: dict) -> dict:
    """The notebook as stored (a new dict; ``nb`` is left alone)."""
    nb = json.loads(json.dumps(nb))
    metadata = nb.get("metadata", {})
    metadata.pop("widgets", None)
    if "language_info" in metadata:
        info = metadata["language_info"]
        metadata["language_info"] = {key: info[key] for key in LANGUAGE_INFO_KEPT if key in info}
    code_cells = 0
    for cell in nb.get("cells", []):
        for key in RUN_CELL_METADATA:
            cell.get("metadata", {}).pop(key, None)
        if cell.get("cell_type") == "code":
            code_cells += 1
            cell["outputs"] = clean_outputs(cell)
            # nbval refuses stored outputs without a count ("Unrun reference cell has outputs"): a cell that keeps
            # outputs gets the count a top-to-bottom run gives it, its place among the code cells; the rest none.
            cell["execution_count"] = code_cells if cell["outputs"] else None
            for output in cell["outputs"]:
                if output["output_type"] == "execute_result":
                    output["execution_count"] = code_cells
    return nb


def dumps(nb: dict) -> str:
    """JSON as Jupyter writes it (nbformat: one-space indent, sorted keys, UTF-8 as is, a final newline)."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def clean_text(text: str) -> str:
    return dumps(clean(json.loads(text)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="notebooks to clean in place (none: stdin to stdout)")
    parser.add_argument("--check", action="store_true", help="rewrite nothing; exit 1 if a file is not clean")
    args = parser.parse_args(argv)
    if not args.files:  # the git filter: the notebook on stdin, the stored form on stdout
        sys.stdout.reconfigure(encoding="utf-8", newline="\n")
        sys.stdout.write(clean_text(sys.stdin.buffer.read().decode("utf-8")))
        return 0
    dirty = []
    for path in args.files:
        text = path.read_text(encoding="utf-8")
        cleaned = clean_text(text)
        if cleaned != text:
            dirty.append(path)
            if not args.check:
                path.write_text(cleaned, encoding="utf-8")
    if args.check and dirty:
        print("not stored clean (python3 scripts/nbclean.py FILE cleans it):", *map(str, dirty), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
