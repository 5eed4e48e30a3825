// The front end of explainer.widgets._diagram.Diagram: a figure of scatter traces (the network diagram,
// a neuron's circuit) drawn as plain SVG, laid out as plotly.js lays out the same figure.
//
// Why not plotly.js: it treats any change of a point's text as a `calc` edit and redraws every trace,
// about 20 ms for the 2-2-2 diagram per slider step. Here the kernel sends the whole figure (one trait,
// one message) and only the traces whose JSON changed are drawn again: about a millisecond.
//
// What it draws of the plotly figure format: traces of type scatter, with mode lines (None splits a
// line), markers (circle, square, diamond; colour, size, border per point) and text (textposition, textfont,
// the tags <br> <b> <i> <sub> <sup> <span style>); hovertext as a tooltip; a colour bar from
// marker.showscale; the layout's size, margins, axis ranges, colours, font, title and paper annotations.
// Anything else is refused in Python (`_diagram.check_spec`), so nothing is silently left out.

const SVG = "http://www.w3.org/2000/svg";
const LINE_SPACING = 1.3; // plotly's line height, in em
const OFFSET_SIGN = { start: 1, end: -1, middle: 0, bottom: 1, top: -1 };
const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'", nbsp: "\u00a0" };

function svg(tag, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined) node.setAttribute(key, value);
  }
  if (parent) parent.appendChild(node);
  return node;
}

const at = (value, i) => (Array.isArray(value) ? value[i] : value);

// ------------------------------------------------------------------------------------------ rich text
/** Plotly's text markup as lines of styled runs: [[{text, bold, italic, color, size, shift}]]. */
function parseMarkup(text) {
  const lines = [[]];
  const stack = [{}];
  for (const token of String(text ?? "").split(/(<[^>]*>)/)) {
    if (!token) continue;
    const tag = token.match(/^<\s*(\/?)\s*([a-z]+)([^>]*)>$/i);
    if (!tag) {
      const plain = token.replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (_, name) => ENTITIES[name]);
      lines[lines.length - 1].push({ ...stack[stack.length - 1], text: plain });
      continue;
    }
    const [, closing, rawName, rest] = tag;
    const name = rawName.toLowerCase();
    if (name === "br") {
      lines.push([]);
    } else if (closing) {
      if (stack.length > 1) stack.pop();
    } else {
      const style = { ...stack[stack.length - 1] };
      if (name === "b") style.bold = true;
      if (name === "i") style.italic = true;
      if (name === "sub") style.shift = "sub";
      if (name === "sup") style.shift = "super";
      const css = rest.match(/style\s*=\s*(['"])(.*?)\1/i);
      for (const rule of css ? css[2].split(";") : []) {
        const [key, value] = rule.split(":").map((s) => s && s.trim());
        if (key === "color") style.color = value;
        if (key === "font-size") style.size = value;
      }
      stack.push(style);
    }
  }
  return lines;
}

/** An SVG <text> of `lines` whose first baseline is at (x, y) and later lines 1.3 em apart. */
function svgText(parent, markup, x, y, font, anchor) {
  const lines = parseMarkup(markup);
  const text = svg("text", { x, y, "text-anchor": anchor, "font-family": font.family, "font-size": font.size }, parent);
  text.style.fill = font.color ?? "#000";
  if (font.shadow) text.style.textShadow = font.shadow;
  lines.forEach((runs, k) => {
    const line = svg("tspan", { x, dy: k === 0 ? 0 : `${LINE_SPACING}em`, class: "bpx-line" }, text);
    for (const run of runs.length ? runs : [{ text: "\u200b" }]) {
      const span = svg("tspan", {}, line);
      span.textContent = run.text;
      if (run.bold) span.setAttribute("font-weight", "bold");
      if (run.italic) span.setAttribute("font-style", "italic");
      if (run.color) span.style.fill = run.color;
      if (run.size) span.setAttribute("font-size", run.size);
      if (run.shift) span.setAttribute("baseline-shift", run.shift);
    }
  });
  return { node: text, lines: lines.length };
}

/** The same markup as HTML nodes (a tooltip): built element by element, never parsed as HTML. */
function htmlText(parent, markup) {
  parseMarkup(markup).forEach((runs, k) => {
    if (k > 0) parent.appendChild(document.createElement("br"));
    for (const run of runs) {
      const span = document.createElement(run.shift === "sub" ? "sub" : run.shift === "super" ? "sup" : "span");
      span.textContent = run.text;
      if (run.bold) span.style.fontWeight = "bold";
      if (run.italic) span.style.fontStyle = "italic";
      if (run.color) span.style.color = run.color;
      if (run.size) span.style.fontSize = run.size;
      parent.appendChild(span);
    }
  });
}

// ------------------------------------------------------------------------------------------ geometry
function frame(layout) {
  const m = { l: 80, r: 80, t: 100, b: 80, ...(layout.margin ?? {}) };
  const width = layout.width ?? 700;
  const height = layout.height ?? 450;
  const [x0, x1] = layout.xaxis?.range ?? [0, 1];
  const [y0, y1] = layout.yaxis?.range ?? [0, 1];
  const pw = width - m.l - m.r;
  const ph = height - m.t - m.b;
  return {
    width,
    height,
    m,
    pw,
    ph,
    x: (x) => m.l + ((x - x0) / (x1 - x0)) * pw,
    y: (y) => m.t + ph - ((y - y0) / (y1 - y0)) * ph,
    paperX: (x) => m.l + x * pw,
    paperY: (y) => m.t + ph - y * ph,
  };
}

function dashArray(dash, width) {
  const w = Math.max(width, 3);
  if (!dash || dash === "solid") return null;
  if (dash === "dot") return `${w}px,${w}px`;
  if (dash === "dash") return `${3 * w}px,${3 * w}px`;
  if (dash === "longdash") return `${5 * w}px,${5 * w}px`;
  if (dash === "dashdot") return `${3 * w}px,${w}px,${w}px,${w}px`;
  return dash; // an explicit dash list
}

function markerPath(symbol, r) {
  if (symbol === "square") return `M${r},${r}H${-r}V${-r}H${r}Z`;
  if (symbol === "diamond") return `M${1.3 * r},0L0,${1.3 * r}L${-1.3 * r},0L0,${-1.3 * r}Z`;
  return `M${r},0A${r},${r} 0 1,1 0,${-r}A${r},${r} 0 0,1 ${r},0Z`;
}

const visible = (value) => value !== null && value !== undefined && Number.isFinite(Number(value));

// ------------------------------------------------------------------------------------------ traces
function drawLines(g, trace, f) {
  const line = trace.line ?? {};
  let d = "";
  let pen = "M";
  trace.x.forEach((x, i) => {
    const y = trace.y[i];
    if (!visible(x) || !visible(y)) {
      pen = "M";
      return;
    }
    d += `${pen}${f.x(x).toFixed(2)},${f.y(y).toFixed(2)}`;
    pen = "L";
  });
  const width = line.width ?? 2;
  const path = svg("path", { d, fill: "none", class: "bpx-lines", "stroke-width": width }, g);
  path.style.stroke = line.color ?? "#444";
  const dash = dashArray(line.dash, width);
  if (dash) path.style.strokeDasharray = dash;
}

function drawMarkers(g, trace, f) {
  const marker = trace.marker ?? {};
  const border = marker.line ?? {};
  trace.x.forEach((x, i) => {
    const size = at(marker.size, i) ?? 6;
    const y = trace.y[i];
    if (!visible(x) || !visible(y) || size < 0.5) return;
    const path = svg(
      "path",
      {
        d: markerPath(at(marker.symbol, i) ?? "circle", size / 2),
        transform: `translate(${f.x(x).toFixed(2)},${f.y(y).toFixed(2)})`,
        class: "bpx-point",
        "data-index": i,
      },
      g,
    );
    path.style.fill = at(marker.color, i) ?? "#1f77b4";
    path.style.opacity = at(marker.opacity, i) ?? 1;
    const width = at(border.width, i) ?? 0;
    if (width > 0) {
      path.style.stroke = at(border.color, i) ?? "#444";
      path.style.strokeWidth = `${width}px`;
    }
  });
}

/** A point's text, placed as plotly places it (src/components/drawing: textPointPosition). */
function drawTexts(g, trace, f, layout, withMarkers) {
  const tf = trace.textfont ?? {};
  const base = layout.font ?? {};
  trace.x.forEach((x, i) => {
    const text = at(trace.text, i);
    const y = trace.y[i];
    if (text === null || text === undefined || text === "" || !visible(x) || !visible(y)) return;
    const size = at(tf.size, i) ?? base.size ?? 12;
    const position = at(trace.textposition, i) ?? "middle center";
    const v = position.includes("top") ? "top" : position.includes("bottom") ? "bottom" : "middle";
    const h = position.includes("left") ? "end" : position.includes("right") ? "start" : "middle";
    const radius = withMarkers ? (at(trace.marker?.size, i) ?? 6) / 2 : 0;
    const r = radius ? radius / 0.8 + 1 : 0;
    const font = {
      family: at(tf.family, i) ?? base.family,
      size,
      color: at(tf.color, i) ?? base.color,
      shadow: at(tf.shadow, i),
    };
    const drawn = svgText(g, text, 0, 0, font, h);
    const lines = (drawn.lines - 1) * LINE_SPACING + 1;
    const dx = OFFSET_SIGN[h] * r;
    const dy = size * 0.75 + OFFSET_SIGN[v] * r + ((OFFSET_SIGN[v] - 1) * lines * size) / 2;
    drawn.node.setAttribute("transform", `translate(${(f.x(x) + dx).toFixed(2)},${(f.y(y) + dy).toFixed(2)})`);
    drawn.node.setAttribute("class", "bpx-text");
    drawn.node.setAttribute("data-index", i);
  });
}

/** Invisible targets over a trace's points: hover shows its hovertext, a click goes to the kernel. */
function drawTargets(g, trace, k, f, view) {
  if (trace.hoverinfo === "skip" || (!trace.hovertext && !trace.customdata)) return;
  trace.x.forEach((x, i) => {
    const y = trace.y[i];
    if (!visible(x) || !visible(y)) return;
    const size = at(trace.marker?.size, i) ?? 6;
    const target = svg(
      "circle",
      { cx: f.x(x), cy: f.y(y), r: Math.max(size / 2, 10), class: "bpx-target", "data-index": i },
      g,
    );
    target.style.fill = "transparent";
    target.style.cursor = trace.customdata ? "pointer" : "default";
    target.addEventListener("mouseenter", () => view.hover(k, i, f.x(x), f.y(y)));
    target.addEventListener("mouseleave", () => view.hover(null));
    target.addEventListener("click", () => view.click(k, i));
  });
}

function drawTrace(g, trace, f, layout) {
  const mode = trace.mode ?? "markers";
  if (mode.includes("lines")) drawLines(g, trace, f);
  if (mode.includes("markers")) drawMarkers(g, trace, f);
  if (mode.includes("text")) drawTexts(g, trace, f, layout, mode.includes("markers"));
}

// ------------------------------------------------------------------------------------------ colour bar
/** Ticks as plotly picks them for a colour bar `length` px long: about one per 40 px, steps 1, 2, 5 × 10ⁿ. */
function colorbarTicks(lo, hi, length) {
  const span = hi - lo;
  if (!(span > 0) || !Number.isFinite(span)) return { ticks: [], step: 1 };
  const rough = span / (Math.min(Math.max(length / 40, 4), 9) + 1);
  const base = 10 ** Math.floor(Math.log10(rough));
  const step = base * ([2, 5, 10].find((k) => k > rough / base) ?? 10);
  const ticks = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k += 1) ticks.push(k * step);
  return { ticks, step };
}

function tickLabel(value, step) {
  const decimals = Math.min(Math.max(0, -Math.floor(Math.log10(step) + 1e-9)), 20);
  let text = Math.abs(value).toFixed(decimals);
  if (text.includes(".")) text = text.replace(/\.?0+$/, ""); // as plotly prints ticks: 0, 0.1, 0.02
  return value < 0 && Number(text) !== 0 ? `\u2212${text}` : text;
}

/**
 * A vertical colour bar laid out as plotly lays it out: its `len` (a fraction of the plot's height)
 * centred on `y`, `ypad` inside each end, the title at the top and the bar below it.
 */
function drawColorbar(g, marker, f, layout) {
  const bar = marker.colorbar ?? {};
  const scale = marker.colorscale ?? [
    [0, "#000"],
    [1, "#fff"],
  ];
  const thickness = bar.thickness ?? 30;
  const ypad = bar.ypad ?? 10;
  const title = bar.title ?? {};
  const tfont = { ...(layout.font ?? {}), ...(title.font ?? {}) };
  const tsize = tfont.size ?? 12;
  const box = (bar.len ?? 1) * f.ph;
  const boxTop = f.paperY(bar.y ?? 0.5) - box / 2;
  // Fitted to plotly.js 4.1 (its title's measured height and gap): 5.5 px + 1.115 em.
  const top = boxTop + ypad + (title.text ? 5.5 + 1.115 * tsize : 0);
  const length = boxTop + box - ypad - top;
  const x = f.paperX(bar.x ?? 1.02) + (bar.xpad ?? 10);
  const id = `bpx-cb-${Math.random().toString(36).slice(2)}`;
  const gradient = svg("linearGradient", { id, x1: 0, y1: 1, x2: 0, y2: 0 }, svg("defs", {}, g));
  for (const [offset, color] of scale) svg("stop", { offset, "stop-color": color }, gradient);
  const rect = svg("rect", { x, y: top, width: thickness, height: length, class: "bpx-colorbar" }, g);
  rect.style.fill = `url(#${id})`;
  rect.style.stroke = bar.outlinecolor ?? "#444";
  rect.style.strokeWidth = bar.outlinewidth ?? 1;
  const lo = marker.cmin;
  const hi = marker.cmax;
  const font = { ...(layout.font ?? {}), ...(bar.tickfont ?? {}) };
  const { ticks, step } = colorbarTicks(lo, hi, length);
  for (const t of ticks) {
    const ty = top + length - ((t - lo) / (hi - lo)) * length;
    svgText(g, tickLabel(t, step), x + thickness + 3, ty + 0.28 * (font.size ?? 12), font, "start");
  }
  if (title.text) svgText(g, title.text, x, boxTop + ypad + 0.905 * tsize, tfont, "start");
}

// ------------------------------------------------------------------------------------------ layout
function drawTitle(g, layout, f) {
  const title = layout.title ?? {};
  if (!title.text) return;
  const font = { ...(layout.font ?? {}), ...(title.font ?? {}) };
  const size = font.size ?? 17;
  const drawn = svgText(g, title.text, 0, 0, font, "middle");
  const x = title.x === undefined ? f.width / 2 : title.x * f.width;
  // As plotly.js 4.1 measured: a one-line title centred on margin.t / 2, a longer one's first baseline there.
  const y = f.m.t / 2 + (drawn.lines === 1 ? 0.35 * size : 0);
  drawn.node.setAttribute("transform", `translate(${x},${y})`);
  drawn.node.setAttribute("class", "bpx-title");
}

function drawAnnotation(g, note, f, layout) {
  const font = { ...(layout.font ?? {}), ...(note.font ?? {}) };
  const size = font.size ?? 12;
  const x = note.xref === "paper" ? f.paperX(note.x ?? 0.5) : f.x(note.x ?? 0);
  const y = (note.yref === "paper" ? f.paperY(note.y ?? 0.5) : f.y(note.y ?? 0)) - (note.yshift ?? 0);
  const anchor = { left: "start", right: "end" }[note.xanchor] ?? "middle";
  const box = svg("g", { class: "bpx-annotation" }, g);
  const back = svg("rect", {}, box);
  const drawn = svgText(box, note.text, 0, 0, font, anchor);
  const height = drawn.lines * LINE_SPACING * size;
  const top = note.yanchor === "bottom" ? y - height : note.yanchor === "top" ? y : y - height / 2;
  drawn.node.setAttribute("transform", `translate(${x},${top + size})`);
  if (!note.bgcolor && !note.bordercolor) return;
  back.style.fill = note.bgcolor ?? "none";
  back.style.stroke = note.bordercolor ?? "none";
  back.style.strokeWidth = note.borderwidth ?? 1;
  // The box needs the text's measured size, known once the SVG is in the page.
  const fit = (tries) => {
    const bounds = drawn.node.isConnected ? drawn.node.getBBox() : null;
    if (!bounds || bounds.width === 0) {
      if (tries > 0) requestAnimationFrame(() => fit(tries - 1));
      return;
    }
    const pad = (note.borderpad ?? 1) + (note.borderwidth ?? 1);
    back.setAttribute("x", x + bounds.x - pad);
    back.setAttribute("y", top + size + bounds.y - pad);
    back.setAttribute("width", bounds.width + 2 * pad);
    back.setAttribute("height", bounds.height + 2 * pad);
  };
  fit(600);
}

// ------------------------------------------------------------------------------------------ the view
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "bpx-diagram";
  const tooltip = document.createElement("div");
  tooltip.className = "bpx-tooltip";
  tooltip.hidden = true;
  el.appendChild(root);
  let drawn = null; // {spec, f, svg, groups: [g], targets: [g]}

  const view = {
    hover(k, i, x, y) {
      if (k === null || !drawn) {
        tooltip.hidden = true;
        return;
      }
      const trace = drawn.spec.data[k];
      const text = at(trace.hovertext, i);
      if (!text) return;
      tooltip.replaceChildren();
      htmlText(tooltip, text);
      const hover = drawn.spec.layout.hoverlabel?.font ?? {};
      const layout = drawn.spec.layout ?? {};
      tooltip.style.background = layout.hoverlabel?.bgcolor ?? layout.paper_bgcolor ?? "#fff";
      tooltip.style.color = hover.color ?? layout.font?.color ?? "#000";
      tooltip.style.borderColor = hover.color ?? layout.font?.color ?? "#000";
      tooltip.style.fontFamily = hover.family ?? "";
      tooltip.style.fontSize = `${hover.size ?? 13}px`;
      // Beside the point, on the side with more room (as plotly flips its hover labels), kept inside
      // the diagram's box as far as its width allows.
      tooltip.hidden = false;
      const scale = drawn.svg.getBoundingClientRect().width / drawn.f.width || 1;
      const width = tooltip.offsetWidth;
      const wanted = x > drawn.f.width / 2 ? x * scale - 14 - width : x * scale + 14;
      tooltip.style.left = `${Math.max(0, Math.min(wanted, root.clientWidth - width))}px`;
      tooltip.style.top = `${y * scale + 10}px`;
    },
    click(k, i) {
      model.send({ event: "click", trace: k, point: i });
    },
  };

  function drawAll(spec) {
    const layout = spec.layout ?? {};
    const f = frame(layout);
    const canvas = svg("svg", {
      viewBox: `0 0 ${f.width} ${f.height}`,
      width: "100%",
      class: "bpx-svg",
      role: "img",
    });
    canvas.style.maxWidth = `${f.width}px`;
    const title = parseMarkup(layout.title?.text ?? "").map((runs) => runs.map((r) => r.text).join("")).join(" ");
    if (title) canvas.setAttribute("aria-label", title);
    const paper = svg("rect", { width: f.width, height: f.height }, canvas);
    paper.style.fill = layout.paper_bgcolor ?? "#fff";
    const plot = svg("rect", { x: f.m.l, y: f.m.t, width: f.pw, height: f.ph }, canvas);
    plot.style.fill = layout.plot_bgcolor ?? "#fff";
    const traces = svg("g", { class: "bpx-traces" }, canvas);
    const groups = spec.data.map((trace) => svg("g", { class: "bpx-trace", "data-name": trace.name ?? "" }, traces));
    const decor = svg("g", { class: "bpx-decor" }, canvas);
    const targetLayer = svg("g", { class: "bpx-targets" }, canvas);
    const targets = spec.data.map((trace) => svg("g", { "data-name": trace.name ?? "" }, targetLayer));
    root.replaceChildren(canvas, tooltip);
    root.style.width = `${f.width}px`;
    root.style.maxWidth = "100%";
    drawn = { spec, f, svg: canvas, groups, targets, decor };
    spec.data.forEach((trace, k) => drawOne(k, trace));
    drawDecor(spec);
  }

  function drawOne(k, trace) {
    const { f, groups, targets, spec } = drawn;
    groups[k].replaceChildren();
    targets[k].replaceChildren();
    drawTrace(groups[k], trace, f, spec.layout ?? {});
    drawTargets(targets[k], trace, k, f, view);
  }

  function drawDecor(spec) {
    const layout = spec.layout ?? {};
    const { decor, f } = drawn;
    decor.replaceChildren();
    drawTitle(decor, layout, f);
    for (const note of layout.annotations ?? []) drawAnnotation(decor, note, f, layout);
    for (const trace of spec.data) {
      if (trace.marker?.showscale) drawColorbar(decor, trace.marker, f, layout);
    }
  }

  function update() {
    const spec = model.get("spec");
    if (!spec || !Array.isArray(spec.data)) return;
    const old = drawn?.spec;
    // What every trace's drawing depends on: when it changes, everything is drawn again.
    const canvas = (s) => {
      const l = s.layout ?? {};
      return [s.data.map((t) => t.name), l.width, l.height, l.margin, l.xaxis, l.yaxis, l.font, l.paper_bgcolor, l.plot_bgcolor];
    };
    if (!old || !same(canvas(old), canvas(spec))) {
      drawAll(spec);
    } else {
      drawn.spec = spec;
      spec.data.forEach((trace, k) => {
        if (!same(trace, old.data[k])) drawOne(k, trace);
      });
      const decor = (s) => [s.layout?.title, s.layout?.annotations, s.data.map((t) => t.marker?.showscale && t.marker)];
      if (!same(decor(old), decor(spec))) drawDecor(spec);
    }
    root.bpxSpec = spec; // what is drawn, for tests (as plotly's graph div holds _fullData)
    root.dataset.updates = String(Number(root.dataset.updates ?? 0) + 1);
  }

  update();
  model.on("change:spec", update);
  return () => model.off("change:spec", update);
}

export default { render };
