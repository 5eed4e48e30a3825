// The Playground's network (playground_diagram.py): TF Playground's picture, drawn from a layout and bytes.
//
// The layout (JSON) says where every node, link, bias, button and text goes; a tick brings bytes: a grid of
// palette indices per neuron and for the output map, a colour, width and look per link, a colour per bias,
// the status texts and the loss chart's paths. Heat maps are <canvas> elements under one SVG that holds the
// links, frames, labels, points and buttons. While "playing" is on, the page asks the kernel for the next
// tick once it has drawn the last one (one "tick" message per revision drawn), so the kernel never runs
// ahead of what the page can show and a slow page simply gets fewer, larger ticks.

const NS = "http://www.w3.org/2000/svg";

function rgb(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

function svgEl(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) e.setAttribute(k, v);
  if (parent) parent.append(e);
  return e;
}

function fmt(v) {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "NaN" : v > 0 ? "+∞" : "−∞";
  if (v === 0) return "0";
  let t = v.toPrecision(4);
  if (t.includes("e")) {
    const [m, e] = t.split("e");
    t = `${m}×10^${Number(e)}`;
  } else if (t.includes(".")) t = t.replace(/0+$/, "").replace(/\.$/, "");
  return t.replace("-", "−");
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "bpx-pg";
  const stage = document.createElement("div");
  stage.className = "bpx-pg-stage";
  const layer = document.createElement("div");
  layer.className = "bpx-pg-maps";
  const svg = svgEl("svg", { class: "bpx-pg-svg", role: "group" });
  const tip = document.createElement("div");
  tip.className = "bpx-pg-tip";
  tip.hidden = true;
  const editor = document.createElement("input");
  editor.className = "bpx-pg-editor";
  editor.type = "text";
  editor.hidden = true;
  editor.spellcheck = false;
  const live = document.createElement("div");
  live.className = "bpx-pg-live";
  live.setAttribute("aria-live", "polite");
  stage.append(layer, svg, tip, editor);
  // For tests and benchmarks: what the page has drawn (the links' styles, the maps' pixels), read without
  // adding anything to the page's work.
  root.bpxDrawn = () => ({
    revision: drawn,
    links: links.map((e, i) => ({ key: L.links[i].key, stroke: e.stroke, width: e.width, dash: e.dash, faded: e.faded })),
    maps: [...canvases.features, ...canvases.nodes, canvases.map].map((c) =>
      Array.from(c.getContext("2d").getImageData(0, 0, c.width, c.height).data)),
  });
  root.append(stage, live);
  el.append(root);

  let L = null; // the layout drawn
  let canvases = { features: [], nodes: [], map: null };
  let links = []; // per link: its Path2D and the style last drawn
  let linkCanvas = null;
  const DPR = Math.min(2, window.devicePixelRatio || 1);
  let biases = [];
  let frames = [];
  let notes = [];
  let slots = {};
  let pointsG = null;
  let pickRing = null;
  let heat = [];
  let classes = [];
  let drawn = -1; // the revision on screen
  let pending = 0;
  let scale = 1;
  let editing = null;

  function palette(list) {
    return (list || []).map(rgb);
  }

  function build() {
    L = model.get("scene");
    layer.replaceChildren();
    svg.replaceChildren();
    canvases = { features: [], nodes: [], map: null };
    links = [];
    biases = [];
    frames = [];
    notes = [];
    slots = {};
    if (!L || !L.width) return;
    heat = palette(L.heat);
    classes = palette(L.classes);
    stage.style.width = `${L.width}px`;
    stage.style.height = `${L.height}px`;
    stage.style.background = L.background;
    stage.style.fontFamily = L.font;
    root.style.setProperty("--bpx-pg-ink", L.ink);
    root.style.setProperty("--bpx-pg-accent", L.accent);
    root.style.setProperty("--bpx-pg-paper", L.background);
    svg.setAttribute("viewBox", `0 0 ${L.width} ${L.height}`);
    svg.setAttribute("width", L.width);
    svg.setAttribute("height", L.height);
    svg.setAttribute("aria-label", L.title);
    svg.setAttribute("font-family", L.font);
    svg.setAttribute("font-size", L.font_size);
    const k = L.scale;
    const canvas = (x, y, size, res, opacity) => {
      const c = document.createElement("canvas");
      c.width = res;
      c.height = res;
      c.style.left = `${x}px`;
      c.style.top = `${y}px`;
      c.style.width = `${size}px`;
      c.style.height = `${size}px`;
      if (opacity !== undefined) c.style.opacity = opacity;
      layer.append(c);
      return c;
    };
    const R = L.neuron_resolution;
    for (const f of L.features) canvases.features.push(canvas(f.x - f.size / 2, f.y - f.size / 2, f.size, R, f.chosen ? 1 : 0.3));
    for (const n of L.nodes) canvases.nodes.push(canvas(n.x - n.size / 2, n.y - n.size / 2, n.size, R));
    const m = L.map;
    canvases.map = canvas(m.x, m.y, m.size, L.map_resolution);
    canvases.map.classList.add("bpx-pg-map");
    // Links and the loss chart's lines are drawn on one canvas under the maps (a tick changes no SVG element):
    // each link's path is the layout's own path data, so the page and the picture draw the same curve.
    linkCanvas = document.createElement("canvas");
    linkCanvas.className = "bpx-pg-linkcanvas";
    linkCanvas.width = Math.round(L.width * DPR);
    linkCanvas.height = Math.round(L.height * DPR);
    linkCanvas.style.width = `${L.width}px`;
    linkCanvas.style.height = `${L.height}px`;
    linkCanvas.style.left = "0px";
    linkCanvas.style.top = "0px";
    layer.prepend(linkCanvas);
    const gLinks = svgEl("g", { class: "bpx-pg-links" }, svg);
    for (const link of L.links) {
      links.push({ path: new Path2D(link.d), stroke: "", width: 1, dash: false, faded: false, lit: false });
      // A wide invisible twin takes the pointer and the keyboard: thin links are hard to hit.
      svgEl("path", { d: link.d, class: "bpx-pg-hit", "data-key": link.key, tabindex: "0", role: "button",
                      "aria-label": `weight ${link.key} from ${link.from} to ${link.to}` }, gLinks); // prettier-ignore
    }
    for (const f of L.features) {
      const s = f.size;
      svgEl("rect", { x: f.x - s / 2, y: f.y - s / 2, width: s, height: s, fill: "none", stroke: L.muted,
                      "stroke-width": k, "stroke-dasharray": f.chosen ? null : "3 2" }, svg); // prettier-ignore
      const t = svgEl("text", { x: f.x - s / 2 - 8 * k, y: f.y, "text-anchor": "end", "dominant-baseline": "central",
                                 fill: f.chosen ? L.ink : L.muted, "font-size": L.font_size }, svg); // prettier-ignore
      t.textContent = f.label;
      svgEl("rect", { x: f.x - s / 2 - 8 * k - 60 * k, y: f.y - s / 2, width: s + 68 * k, height: s, class: "bpx-target",
                      fill: "transparent", "data-key": f.key, tabindex: "0", role: "button", "aria-pressed": f.chosen ? "true" : "false",
                      "aria-label": `feature ${f.label}: ${f.chosen ? "in use, click to leave it out" : "not used, click to use it"}` }, svg); // prettier-ignore
    }
    for (const n of L.nodes) {
      const s = n.size;
      frames.push(svgEl("rect", { x: n.x - s / 2, y: n.y - s / 2, width: s, height: s, fill: "none", class: "bpx-pg-node" }, svg));
      const note = svgEl("text", { x: n.note.x, y: n.note.y, "text-anchor": n.note.anchor, "dominant-baseline": "central",
                                   "font-size": L.small, fill: L.ink, stroke: L.background, "stroke-width": Math.max(2, L.small * 0.28),
                                   "stroke-linejoin": "round", style: "paint-order:stroke", class: "bpx-pg-note" }, svg); // prettier-ignore
      notes.push(note);
      svgEl("rect", { x: n.x - s / 2, y: n.y - s / 2, width: s, height: s, fill: "transparent", class: "bpx-target",
                      "data-key": n.key, tabindex: "0", role: "button", "aria-label": n.name }, svg); // prettier-ignore
    }
    for (const b of L.biases) {
      biases.push(svgEl("rect", { x: b.x, y: b.y, width: b.size, height: b.size, stroke: L.muted, "stroke-width": 0.6 * k,
                                  "data-key": b.key, class: "bpx-target bpx-pg-bias", tabindex: "0", role: "button",
                                  "aria-label": `bias ${b.key} of ${b.of}` }, svg)); // prettier-ignore
    }
    svgEl("rect", { x: m.x, y: m.y, width: m.size, height: m.size, fill: "none", stroke: L.muted, "stroke-width": k }, svg);
    pointsG = svgEl("g", { class: "bpx-pg-points" }, svg);
    pickRing = svgEl("circle", { r: 3 * m.point_r, fill: "none", stroke: L.accent, "stroke-width": m.point_r * 0.8,
                                 visibility: "hidden", class: "bpx-pg-pick" }, svg); // prettier-ignore
    svgEl("rect", { x: m.x, y: m.y, width: m.size, height: m.size, fill: "transparent", class: "bpx-pg-maphit",
                    "data-map": "1" }, svg); // prettier-ignore
    for (const t of m.ticks) {
      const e = svgEl("text", { x: t.x, y: t.y, "text-anchor": t.anchor, "dominant-baseline": "central", fill: L.muted,
                                "font-size": L.small }, svg); // prettier-ignore
      e.textContent = t.text;
    }
    for (const item of m.legend) {
      svgEl("circle", { cx: item.cx, cy: m.legend_y, r: m.point_r * 1.4, fill: item.color }, svg);
      const e = svgEl("text", { x: item.tx, y: m.legend_y, "text-anchor": "start", "dominant-baseline": "central",
                                fill: L.ink, "font-size": L.small }, svg); // prettier-ignore
      e.textContent = item.label;
    }
    for (const t of L.texts) {
      const e = svgEl("text", { x: t.x, y: t.y, "text-anchor": t.anchor || "middle", "dominant-baseline": "central",
                                fill: t.fill, "font-size": t.size, "font-weight": t.weight || null }, svg); // prettier-ignore
      e.textContent = t.text;
    }
    for (const b of L.buttons) {
      const s = b.size;
      const color = b.enabled ? L.ink : L.muted;
      svgEl("rect", { x: b.x - s / 2, y: b.y - s / 2, width: s, height: s, rx: s / 2, fill: "none", stroke: color,
                      "stroke-width": k }, svg); // prettier-ignore
      const e = svgEl("text", { x: b.x, y: b.y, "text-anchor": "middle", "dominant-baseline": "central", fill: color,
                                "font-size": L.font_size * 1.1, "font-weight": "bold" }, svg); // prettier-ignore
      e.textContent = b.label;
      if (b.enabled) {
        svgEl("rect", { x: b.x - s / 2, y: b.y - s / 2, width: s, height: s, rx: s / 2, fill: "transparent", class: "bpx-target",
                        "data-key": b.key, tabindex: "0", role: "button", "aria-label": b.tip }, svg); // prettier-ignore
      }
    }
    for (const s of L.status) {
      const e = svgEl("text", { x: s.x, y: s.y, "text-anchor": "start", "dominant-baseline": "central", fill: L.ink,
                                "font-size": L.font_size, class: "bpx-pg-status" }, svg); // prettier-ignore
      slots[s.slot] = e;
    }
    const c = L.chart;
    svgEl("rect", { x: c.x, y: c.y, width: c.w, height: c.h, fill: "none", stroke: L.muted, "stroke-width": 0.6 * k }, svg);
    const small = L.small;
    for (const [key, x, y, anchor] of [
      ["chart_top", c.x - 4 * k, c.y + small * 0.4, "end"],
      ["chart_bottom", c.x - 4 * k, c.y + c.h - small * 0.4, "end"],
      ["chart_right", c.x + c.w, c.y + c.h + small * 0.9, "end"],
    ]) {
      slots[key] = svgEl("text", { x, y, "text-anchor": anchor, "dominant-baseline": "central", fill: L.muted, "font-size": small }, svg);
    }
    fit();
  }

  function paintGrid(canvasEl, bytes, offset, res, colors) {
    const ctx = canvasEl.getContext("2d");
    const img = ctx.createImageData(res, res);
    const d = img.data;
    for (let p = 0, q = 0; p < res * res; p++) {
      const c = colors[bytes[offset + p]] || [255, 0, 255];
      d[q++] = c[0];
      d[q++] = c[1];
      d[q++] = c[2];
      d[q++] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  function bytesOf(name) {
    const v = model.get(name);
    if (!v) return new Uint8Array(0);
    if (v instanceof DataView) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    return new Uint8Array(0);
  }

  function floatsOf(name) {
    const b = bytesOf(name);
    const copy = new Uint8Array(b); // aligned
    return new Float32Array(copy.buffer, 0, Math.floor(copy.byteLength / 4));
  }

  function paint() {
    if (!L || !L.width) return;
    const R = L.neuron_resolution;
    const M = L.map_resolution;
    const g = bytesOf("grids");
    let off = 0;
    if (g.length >= canvases.nodes.length * R * R + M * M) {
      for (const c of canvases.nodes) {
        paintGrid(c, g, off, R, heat);
        off += R * R;
      }
      paintGrid(canvases.map, g, off, M, L.task === "multiclass" ? classes : heat);
    }
    const s = bytesOf("styles");
    const k = L.scale;
    const texts = model.get("texts") || {};
    if (s.length >= links.length * 3 + biases.length + frames.length) {
      const ctx = linkCanvas.getContext("2d");
      ctx.setTransform(DPR, 0, 0, DPR, 0, 0);
      ctx.clearRect(0, 0, L.width, L.height);
      ctx.lineCap = "round";
      for (let i = 0; i < links.length; i++) {
        const e = links[i];
        const flags = s[3 * i + 2];
        e.stroke = L.link_colors[s[3 * i]];
        e.width = s[3 * i + 1] / 8;
        e.dash = !!(flags & 1);
        e.faded = !!(flags & 2);
        e.lit = !!(flags & 4);
        ctx.strokeStyle = e.stroke;
        ctx.lineWidth = e.width;
        ctx.globalAlpha = e.faded ? 0.25 : 1;
        ctx.setLineDash(e.dash ? [3 * k, 2 * k] : []);
        ctx.stroke(e.path);
      }
      ctx.globalAlpha = 1;
      ctx.lineWidth = 1.6 * k;
      for (const [key, color, dash] of [["chart_test", L.ink, [4 * k, 3 * k]], ["chart_train", L.muted, []]]) {
        if (!texts[key]) continue;
        ctx.strokeStyle = color;
        ctx.setLineDash(dash);
        ctx.stroke(new Path2D(texts[key]));
      }
      ctx.setLineDash([]);
      let o = links.length * 3;
      for (let i = 0; i < biases.length; i++) {
        const fill = L.link_colors[s[o + i]];
        if (biases[i].getAttribute("fill") !== fill) biases[i].setAttribute("fill", fill);
      }
      o += biases.length;
      for (let i = 0; i < frames.length; i++) {
        const mark = s[o + i];
        const stroke = mark ? L.accent : L.muted;
        const width = String((mark === 1 ? 2.5 : 1) * k);
        if (frames[i].getAttribute("stroke") !== stroke) frames[i].setAttribute("stroke", stroke);
        if (frames[i].getAttribute("stroke-width") !== width) frames[i].setAttribute("stroke-width", width);
      }
    }
    for (const [slot, e] of Object.entries(slots)) {
      const v = texts[slot] || "";
      if (e.textContent !== v) e.textContent = v;
    }
    const pick = texts.pick || "";
    if (pick) {
      const [px, py] = pick.split(" ").map(Number);
      const [x0, x1, y0, y1] = L.map.domain;
      pickRing.setAttribute("cx", L.map.x + ((px - x0) / (x1 - x0)) * L.map.size);
      pickRing.setAttribute("cy", L.map.y + ((y1 - py) / (y1 - y0)) * L.map.size);
      pickRing.setAttribute("visibility", "visible");
    } else pickRing.setAttribute("visibility", "hidden");
    for (let i = 0; i < notes.length; i++) {
      const n = L.nodes[i];
      const v = texts[`note:${n.layer}:${n.index}`] || "";
      if (notes[i].textContent !== v) notes[i].textContent = v;
    }
    drawn = model.get("revision");

    stage.dataset.revision = String(drawn);
    if (editing === null && tip.hidden === false && tip.dataset.key) showTip(tip.dataset.key, null);
  }

  function paintFeatures() {
    if (!L || !L.width) return;
    const R = L.neuron_resolution;
    const f = bytesOf("feature_grids");
    if (f.length < canvases.features.length * R * R) return;
    canvases.features.forEach((c, k) => paintGrid(c, f, k * R * R, R, heat));
  }

  function paintPoints() {
    if (!L || !L.width || !pointsG) return;
    pointsG.replaceChildren();
    const xy = floatsOf("points");
    const info = bytesOf("point_info");
    const n = Math.min(xy.length / 2, info.length / 2);
    const m = L.map;
    const [x0, x1, y0, y1] = m.domain;
    const r = m.point_r;
    for (let i = 0; i < n; i++) {
      const px = m.x + ((xy[2 * i] - x0) / (x1 - x0)) * m.size;
      const py = m.y + ((y1 - xy[2 * i + 1]) / (y1 - y0)) * m.size;
      if (px < m.x || px > m.x + m.size || py < m.y || py > m.y + m.size) continue;
      svgEl("circle", { cx: px, cy: py, r, fill: L.point_colors[info[i]], stroke: info[n + i] ? "#000000" : "#ffffff",
                        "stroke-width": r * 0.28 }, pointsG); // prettier-ignore
    }
  }

  function fit() {
    if (!L || !L.width) return;
    const w = root.clientWidth || L.width;
    scale = Math.min(1, w / L.width);
    stage.style.transform = `scale(${scale})`;
    root.style.height = `${L.height * scale}px`;
  }

  // ---------------------------------------------------------------- ticks
  // While playing, the page asks the kernel for the next tick at most once per animation frame, with up to
  // `window` asks in flight: the kernel trains the next ticks while one travels and is drawn (a round trip
  // through JupyterLab takes ~50 ms on a busy machine, a tick ~10 ms), and since the asks leave a frame apart,
  // the answers arrive a frame apart too, each one drawn. The kernel takes an ask only while one of the
  // `window` newest revisions is the page's, so no more are ever in flight.
  let outstanding = 0;
  let loop = 0;
  let lastArrival = 0;

  function ask() {
    outstanding += 1;
    model.send({ event: "tick", revision: model.get("revision") });
  }

  function frameLoop() {
    loop = 0;
    if (!model.get("playing")) return;
    const now = performance.now();
    if (outstanding > 0 && now - lastArrival > 1500) outstanding = 0; // asks or answers lost on the way
    if (outstanding < model.get("window")) ask();
    loop = requestAnimationFrame(frameLoop);
  }

  function onRevision() {
    lastArrival = performance.now();
    if (outstanding > 0) outstanding -= 1;
    schedule();
  }

  function schedule() {
    if (pending) return;
    pending = requestAnimationFrame(() => {
      pending = 0;
      paint();
    });
  }

  // ---------------------------------------------------------------- hover, click, edit
  function valuesFor(key) {
    const v = floatsOf("values");
    const li = L.links.findIndex((l) => l.key === key);
    if (li >= 0) return { kind: "weight", item: L.links[li], w: v[2 * li], g: v[2 * li + 1] };
    const bi = L.biases.findIndex((b) => b.key === key);
    if (bi >= 0) {
      const o = 2 * L.links.length;
      return { kind: "bias", item: L.biases[bi], w: v[o + 2 * bi], g: v[o + 2 * bi + 1] };
    }
    return null;
  }

  function tipText(key) {
    const info = valuesFor(key);
    const texts = model.get("texts") || {};
    if (info && info.kind === "weight") {
      const l = info.item;
      return `<b>${key}</b>: ${l.from} → ${l.to}<br>w = ${fmt(info.w)}<br>∂L/∂w = ${fmt(info.g)}` +
        (model.get("explaining") ? "" : "<br><i>click to type a new value</i>");
    }
    if (info) {
      return `<b>${key}</b>: bias of ${info.item.of}<br>b = ${fmt(info.w)}<br>∂L/∂b = ${fmt(info.g)}` +
        (model.get("explaining") ? "" : "<br><i>click to type a new value</i>");
    }
    if (key.startsWith("node:")) {
      const n = L.nodes.find((x) => x.key === key);
      const note = texts[`note:${n.layer}:${n.index}`];
      return `<b>${n.name}</b><br>its output over the plane${note ? `<br>${note}` : ""}`;
    }
    if (key.startsWith("feature:")) {
      const f = L.features.find((x) => x.key === key);
      return `<b>${f.label}</b><br>${f.chosen ? "an input now: click to leave it out" : "not used: click to feed it in"}`;
    }
    const b = L.buttons.find((x) => x.key === key);
    return b ? b.tip : "";
  }

  function showTip(key, node) {
    const html = tipText(key);
    if (!html) return hideTip();
    tip.innerHTML = html; // numbers and names made by the kernel's layout; no user text
    tip.dataset.key = key;
    tip.hidden = false;
    if (node) {
      const box = stage.getBoundingClientRect();
      const t = node.getBoundingClientRect();
      let x = (t.right - box.left) / scale + 10;
      const y = (t.top - box.top + t.height / 2) / scale - tip.offsetHeight / 2;
      if (x + tip.offsetWidth > L.width) x = (t.left - box.left) / scale - 10 - tip.offsetWidth;
      tip.style.left = `${Math.max(0, x)}px`;
      tip.style.top = `${Math.max(0, Math.min(y, L.height - tip.offsetHeight))}px`;
    }
  }

  function hideTip() {
    tip.hidden = true;
    delete tip.dataset.key;
  }

  function openEditor(key, node) {
    const info = valuesFor(key);
    if (!info) return;
    editing = key;
    hideTip();
    const box = stage.getBoundingClientRect();
    const t = node.getBoundingClientRect();
    editor.hidden = false;
    editor.value = String(Number(info.w.toPrecision(6)));
    editor.setAttribute("aria-label", `new value of ${key}`);
    editor.style.left = `${(t.left - box.left + t.width / 2) / scale}px`;
    editor.style.top = `${(t.top - box.top + t.height / 2) / scale}px`;
    editor.focus();
    editor.select();
  }

  function closeEditor() {
    editing = null;
    editor.hidden = true;
  }

  editor.addEventListener("keydown", (e) => {
    e.stopPropagation();
    if (e.key === "Enter") {
      e.preventDefault();
      model.send({ event: "edit", key: editing, value: editor.value });
      closeEditor();
    } else if (e.key === "Escape") closeEditor();
  });
  editor.addEventListener("blur", () => closeEditor());

  const keyOf = (node) => (node && node.closest ? node.closest("[data-key]") : null);

  function activate(node, e) {
    const key = node.getAttribute("data-key");
    const isParam = /^[Wb]\d/.test(key);
    if (isParam && !model.get("explaining")) openEditor(key, node);
    else model.send({ event: "select", key });
    if (e) e.preventDefault();
  }

  svg.addEventListener("pointerover", (e) => {
    const node = keyOf(e.target);
    if (node) showTip(node.getAttribute("data-key"), node);
  });
  svg.addEventListener("pointerout", (e) => {
    const node = keyOf(e.target);
    if (node && !node.contains(e.relatedTarget)) hideTip();
  });
  svg.addEventListener("click", (e) => {
    const node = keyOf(e.target);
    if (node) return activate(node, e);
    if (e.target.getAttribute && e.target.getAttribute("data-map")) {
      const r = e.target.getBoundingClientRect();
      const [x0, x1, y0, y1] = L.map.domain;
      const x = x0 + ((e.clientX - r.left) / r.width) * (x1 - x0);
      const y = y1 - ((e.clientY - r.top) / r.height) * (y1 - y0);
      model.send({ event: "map", x, y, shift: e.shiftKey, alt: e.altKey || e.metaKey, radius: (L.map.point_r * 2.5 * (x1 - x0)) / L.map.size });
      e.preventDefault();
    }
  });
  svg.addEventListener("keydown", (e) => {
    const node = keyOf(e.target);
    if (node && (e.key === "Enter" || e.key === " ")) {
      e.stopPropagation();
      activate(node, e);
    } else if (e.key === "Escape") hideTip();
  });
  svg.addEventListener("focusin", (e) => {
    const node = keyOf(e.target);
    if (node) showTip(node.getAttribute("data-key"), node);
  });
  svg.addEventListener("focusout", (e) => {
    if (!svg.contains(e.relatedTarget)) hideTip();
  });

  const onLayout = () => {
    build();
    paintFeatures();
    paintPoints();
    paint();
  };
  const onPoints = () => paintPoints();
  const onPlaying = () => {
    if (model.get("playing")) {
      outstanding = 0;
      lastArrival = performance.now();
      if (!loop) loop = requestAnimationFrame(frameLoop);
    } else if (loop) {
      cancelAnimationFrame(loop);
      loop = 0;
    }
  };
  const onAnnounce = () => (live.textContent = model.get("announce"));
  const observer = new ResizeObserver(() => fit());
  observer.observe(root);
  model.on("change:scene", onLayout);
  model.on("change:grids", schedule);
  model.on("change:feature_grids", paintFeatures);
  model.on("change:styles", schedule);
  model.on("change:texts", schedule);
  model.on("change:revision", onRevision);
  model.on("change:points", onPoints);
  model.on("change:point_info", onPoints);
  model.on("change:playing", onPlaying);
  model.on("change:announce", onAnnounce);
  onLayout();
  onAnnounce();
  onPlaying();
  return () => {
    observer.disconnect();
    if (loop) cancelAnimationFrame(loop);
    if (pending) cancelAnimationFrame(pending);
    model.off("change:scene", onLayout);
    model.off("change:grids", schedule);
    model.off("change:feature_grids", paintFeatures);
    model.off("change:styles", schedule);
    model.off("change:texts", schedule);
    model.off("change:revision", onRevision);
    model.off("change:points", onPoints);
    model.off("change:point_info", onPoints);
    model.off("change:playing", onPlaying);
    model.off("change:announce", onAnnounce);
  };
}

export default { render };
