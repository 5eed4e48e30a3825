// The live SVG diagram (explainer/widgets/diagram.py): the parts of a scene, swapped by id when they change.
//
// A part is a stable id and its SVG. On each change only parts whose SVG differs are replaced, so an
// unchanged edge keeps its DOM node, and the keyboard focus is put back on the target with the same key.
// Targets ([data-key]) are focusable: Tab moves between them, Enter or Space (or a click) selects one,
// and its tooltip is asked of the kernel ("hover"), which answers with the scene's text for that key.

const NS = "http://www.w3.org/2000/svg";

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "bpx-diagram";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("class", "bpx-svg");
  svg.setAttribute("role", "group");
  const tip = document.createElement("div");
  tip.className = "bpx-tooltip";
  tip.hidden = true;
  const live = document.createElement("div");
  live.className = "bpx-live";
  live.setAttribute("aria-live", "polite");
  root.append(svg, tip, live);
  el.append(root);

  const parts = new Map(); // id -> { svg, g }
  let seq = 0;
  let shown = null; // the target whose tooltip is asked for or shown

  function draw() {
    const w = model.get("width");
    const h = model.get("height");
    svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    svg.style.maxWidth = `${w}px`;
    svg.setAttribute("aria-label", model.get("title"));
    root.style.setProperty("--bpx-paper", model.get("background"));
    root.style.setProperty("--bpx-ink", model.get("ink"));
    root.style.setProperty("--bpx-accent", model.get("accent"));
    const active = document.activeElement;
    const focusedKey = active && svg.contains(active) ? active.getAttribute("data-key") : null;
    const seen = new Set();
    let previous = null;
    for (const [id, content] of model.get("parts")) {
      seen.add(id);
      let item = parts.get(id);
      if (!item || item.svg !== content) {
        const g = document.createElementNS(NS, "g");
        g.setAttribute("data-part", id);
        g.innerHTML = content;
        if (item) item.g.replaceWith(g);
        item = { svg: content, g };
        parts.set(id, item);
      }
      const wanted = previous ? previous.nextSibling : svg.firstChild;
      if (item.g !== wanted) svg.insertBefore(item.g, wanted);
      previous = item.g;
    }
    for (const [id, item] of parts) {
      if (!seen.has(id)) {
        item.g.remove();
        parts.delete(id);
      }
    }
    if (focusedKey !== null) {
      const again = svg.querySelector(`[data-key="${CSS.escape(focusedKey)}"]`);
      if (again && again !== document.activeElement) again.focus({ preventScroll: true });
    }
    if (shown !== null && !svg.contains(shown.node)) hideTip();
    else if (shown !== null) ask(shown.node); // its numbers may have changed
  }

  function announce() {
    live.textContent = model.get("announce");
  }

  function keyOf(node) {
    return node && node.closest ? node.closest("[data-key]") : null;
  }

  function ask(node) {
    seq += 1;
    shown = { node, seq };
    model.send({ event: "hover", key: node.getAttribute("data-key"), seq });
  }

  function hideTip() {
    shown = null;
    tip.hidden = true;
  }

  function place(node) {
    const box = root.getBoundingClientRect();
    const t = node.getBoundingClientRect();
    tip.hidden = false;
    const tw = tip.offsetWidth;
    const th = tip.offsetHeight;
    let x = t.right - box.left + 12;
    if (x + tw > box.width && t.left - box.left - 12 - tw >= 0) x = t.left - box.left - 12 - tw; // the side with room
    x = Math.max(0, Math.min(x, Math.max(0, box.width - tw)));
    let y = t.top - box.top + t.height / 2 - th / 2;
    y = Math.max(0, Math.min(y, Math.max(0, box.height - th)));
    tip.style.left = `${x}px`;
    tip.style.top = `${y}px`;
  }

  function onMessage(msg) {
    if (!msg || msg.event !== "hover" || shown === null || msg.seq !== shown.seq) return;
    if (!msg.html) {
      tip.hidden = true;
      return;
    }
    tip.innerHTML = msg.html; // made by the views from the engine's numbers (any user text is escaped there)
    place(shown.node);
  }

  function select(node) {
    model.send({ event: "select", key: node.getAttribute("data-key") });
  }

  const onOver = (e) => {
    const node = keyOf(e.target);
    if (node && (shown === null || shown.node !== node)) ask(node);
  };
  const onOut = (e) => {
    const node = keyOf(e.target);
    if (node && !node.contains(e.relatedTarget) && document.activeElement !== node) hideTip();
  };
  const onClick = (e) => {
    const node = keyOf(e.target);
    if (node) select(node);
  };
  const onKey = (e) => {
    const node = keyOf(e.target);
    if (node && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      select(node);
    } else if (e.key === "Escape") {
      hideTip();
    }
  };
  const onFocus = (e) => {
    const node = keyOf(e.target);
    if (node) ask(node);
  };
  const onBlur = (e) => {
    if (!svg.contains(e.relatedTarget)) hideTip();
  };
  svg.addEventListener("pointerover", onOver);
  svg.addEventListener("pointerout", onOut);
  svg.addEventListener("click", onClick);
  svg.addEventListener("keydown", onKey);
  svg.addEventListener("focusin", onFocus);
  svg.addEventListener("focusout", onBlur);
  model.on("change:parts", draw);
  model.on("change:width", draw);
  model.on("change:height", draw);
  model.on("change:background", draw);
  model.on("change:accent", draw);
  model.on("change:announce", announce);
  model.on("msg:custom", onMessage);
  draw();
  announce();
  return () => {
    model.off("change:parts", draw);
    model.off("change:width", draw);
    model.off("change:height", draw);
    model.off("change:background", draw);
    model.off("change:accent", draw);
    model.off("change:announce", announce);
    model.off("msg:custom", onMessage);
  };
}

export default { render };
