// Sliders (sliders.py): rows of range inputs whose readouts print the kernel's own value.
//
// The page never sends a value the kernel set: only a learner's drag, arrow key or typed number becomes an
// "input" message. While a row is being dragged, the kernel's updates move its readout but not its thumb.

const SETTLE_MS = 1500; // after a key press, how long an older echo of the kernel may not move the thumb back

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "bpx-sliders";
  el.append(root);
  const rows = new Map(); // key -> { box, range, text, row, dragging, sent (a key press's value in flight) }
  let pending = new Map(); // key -> value, sent once per animation frame
  let frame = 0;

  function send(key, value) {
    pending.set(key, value);
    if (!frame) {
      frame = requestAnimationFrame(() => {
        frame = 0;
        for (const [k, v] of pending) model.send({ event: "input", key: k, value: v });
        pending = new Map();
      });
    }
  }

  function build() {
    root.replaceChildren();
    rows.clear();
    const groups = new Map();
    for (const r of model.get("rows")) {
      if (!groups.has(r.group)) {
        const box = document.createElement("fieldset");
        box.className = "bpx-group";
        if (r.group) {
          const legend = document.createElement("legend");
          legend.textContent = r.group;
          box.append(legend);
        }
        const grid = document.createElement("div");
        grid.className = "bpx-grid";
        grid.style.gridTemplateColumns = model.get("columns");
        box.append(grid);
        root.append(box);
        groups.set(r.group, grid);
      }
      const box = document.createElement("div");
      box.className = "bpx-row";
      box.dataset.key = r.key;
      const id = `bpx-${Math.random().toString(36).slice(2)}`;
      const label = document.createElement("label");
      label.htmlFor = id;
      const range = document.createElement("input");
      range.type = "range";
      range.id = id;
      const text = document.createElement("input");
      text.type = "text";
      text.className = "bpx-readout";
      text.spellcheck = false;
      text.setAttribute("inputmode", "decimal");
      const item = { box, label, range, text, row: r, dragging: false };
      range.addEventListener("input", () => {
        const v = Number(range.value);
        send(item.row.key, item.row.log ? 10 ** v : v);
      });
      // Arrow keys are handled here, not left to the browser: a host such as JupyterLab takes keydown events for
      // its own shortcuts before a range input sees them. One step from where the thumb is drawn, as a learner expects.
      range.addEventListener("keydown", (e) => {
        const r = item.row;
        const steps = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 10, PageDown: -10 }[e.key];
        let v = Number(range.value);
        if (steps !== undefined) v = Math.round((v - r.min) / r.step + steps) * r.step + r.min;
        else if (e.key === "Home") v = r.min;
        else if (e.key === "End") v = r.max;
        else return;
        e.preventDefault();
        e.stopPropagation();
        v = Math.min(Math.max(v, r.min), r.max);
        v = Number(v.toFixed(12)); // 0.26, not 0.26000000000000001
        range.value = v;
        // Until the kernel shows this value (or for SETTLE_MS), an older echo does not move the thumb back: the
        // next press steps from here, so seven quick presses are seven steps on a busy kernel too.
        item.sent = v;
        clearTimeout(item.settle);
        item.settle = setTimeout(() => {
          item.sent = undefined;
          fill(item, item.row);
        }, SETTLE_MS);
        model.send({ event: "input", key: r.key, value: r.log ? 10 ** v : v }); // a key press at once; drags per frame
      });
      range.addEventListener("pointerdown", () => (item.dragging = true));
      const release = () => {
        item.dragging = false;
        fill(item, item.row);
      };
      range.addEventListener("pointerup", release);
      range.addEventListener("pointercancel", release);
      range.addEventListener("blur", release);
      text.addEventListener("keydown", (e) => {
        if (e.key === "Enter") {
          e.preventDefault();
          model.send({ event: "input", key: item.row.key, value: text.value });
        } else if (e.key === "Escape") {
          text.value = item.row.text;
        }
      });
      text.addEventListener("change", () => {
        if (text.value !== item.row.text) model.send({ event: "input", key: item.row.key, value: text.value });
      });
      box.append(label, range, text);
      groups.get(r.group).append(box);
      rows.set(r.key, item);
      fill(item, r);
    }
  }

  function fill(item, r) {
    item.row = r;
    item.label.textContent = r.label;
    item.label.title = r.tooltip || r.label;
    item.range.min = r.min;
    item.range.max = r.max;
    item.range.step = r.step;
    item.range.disabled = r.disabled;
    item.text.disabled = r.disabled;
    item.range.setAttribute("aria-label", `${r.label}: ${r.text}`);
    item.range.setAttribute("aria-valuetext", r.text + (r.beyond ? ` (${r.beyond} the slider's range)` : ""));
    const shown = item.sent !== undefined && Math.abs(r.position - item.sent) <= 1e-9 * Math.max(1, Math.abs(item.sent));
    if (shown) {
      item.sent = undefined;
      clearTimeout(item.settle);
    }
    if (!item.dragging && item.sent === undefined) item.range.value = r.position;
    if (document.activeElement !== item.text) item.text.value = r.text;
    item.text.title = r.beyond ? `${r.text}: ${r.beyond} the slider's range` : r.text;
    item.box.classList.toggle("bpx-held", r.held);
    item.box.classList.toggle("bpx-selected", r.selected);
    item.box.classList.toggle("bpx-beyond-above", r.beyond === "above");
    item.box.classList.toggle("bpx-beyond-below", r.beyond === "below");
  }

  function update() {
    const next = model.get("rows");
    const same = next.length === rows.size && next.every((r) => rows.has(r.key) && rows.get(r.key).row.group === r.group);
    if (!same) build();
    else for (const r of next) fill(rows.get(r.key), r);
  }

  model.on("change:rows", update);
  model.on("change:columns", build);
  build();
  return () => {
    model.off("change:rows", update);
    model.off("change:columns", build);
    if (frame) cancelAnimationFrame(frame);
  };
}

export default { render };
