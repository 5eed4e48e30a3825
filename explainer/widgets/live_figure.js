// LiveFigure (live_figure.py): a plotly figure kept up to date by the kernel's patches, frames played here.
//
// plotly.js comes from the kernel's one PlotlyLibrary model and is imported once per page (per version),
// as an ES module made from its UMD source. The figure is kept as plain JSON; a patch replaces the keys
// that changed and Plotly.react redraws what differs. A view that missed patches (a page opened later)
// asks for the whole figure ("hello"). Frames play in the page, a frame per tick, with no kernel round trip.

const LIBRARIES = (globalThis[Symbol.for("backprop-explainer.plotly")] ??= new Map());

async function plotlyOf(model) {
  const ref = model.get("library");
  const id = typeof ref === "string" && ref.startsWith("IPY_MODEL_") ? ref.slice(10) : ref;
  const library = await model.widget_manager.get_model(id);
  const version = library.get("version");
  if (!LIBRARIES.has(version)) {
    const source =
      "const module = { exports: {} }; const exports = module.exports; const define = undefined;\n" +
      library.get("source") +
      "\nexport default module.exports;";
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    const loaded = import(/* webpackIgnore: true */ url).then((m) => m.default);
    loaded.finally(() => URL.revokeObjectURL(url));
    LIBRARIES.set(version, loaded);
  }
  return LIBRARIES.get(version);
}

function merged(base, changes) {
  const out = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined) delete out[key];
    else out[key] = value;
  }
  return out;
}

async function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "bpx-live-figure";
  const plot = document.createElement("div");
  plot.className = "bpx-plot";
  const player = document.createElement("div");
  player.className = "bpx-player";
  const button = document.createElement("button");
  button.className = "bpx-play jupyter-button";
  button.type = "button";
  const slider = document.createElement("input");
  slider.type = "range";
  slider.className = "bpx-frame";
  slider.min = 0;
  slider.step = 1;
  slider.setAttribute("aria-label", "frame of the animation");
  const status = document.createElement("span");
  status.className = "bpx-status";
  status.setAttribute("aria-live", "polite");
  player.append(button, slider, status);
  const hint = document.createElement("div");
  hint.className = "bpx-hint";
  root.append(plot, player, hint);
  el.append(root);

  const Plotly = await plotlyOf(model);
  let fig = structuredClone(model.get("spec"));
  let revision = 0;
  let shown = -1; // the frame drawn
  let timer = null;
  let drawing = Promise.resolve();
  const config = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["select2d", "lasso2d"] };

  function fitted(layout) {
    // The view's width is the most it needs; in a narrower output area the figure takes the area's width.
    const out = { ...layout, uirevision: "bpx" };
    const room = root.clientWidth || el.clientWidth;
    if (out.width && room && out.width > room) {
      delete out.width;
      out.autosize = true;
    }
    return out;
  }

  function draw() {
    drawing = drawing.then(() => Plotly.react(plot, fig.data, fitted(fig.layout), config)).catch((error) => {
      console.error("[backprop-explainer] the figure could not be drawn", error);
    });
    return drawing;
  }

  // While the descent plays, a 3-D scene follows every frame if the page redraws it quickly (a GPU: a few ms);
  // where it is slow (a software renderer: ~150 ms a redraw) the flat traces move every frame and the 3-D
  // scene catches up when the descent pauses or ends, so playback keeps its 20 frames a second.
  const THREE_D = new Set(["scatter3d", "surface", "mesh3d"]);
  const SLOW_3D_MS = 40;
  let cost3d = 0; // ms of the last redraw that included the 3-D traces
  function applyFrame(k, playing = false) {
    const frames = model.get("frames");
    if (!frames.length) return undefined;
    k = Math.max(0, Math.min(k, frames.length - 1));
    const frame = frames[k];
    const data = fig.data.slice();
    frame.traces.forEach((index, n) => {
      const change = frame.data[n];
      const trace = { ...data[index] };
      for (const [key, value] of Object.entries(change)) {
        if (value && typeof value === "object" && !Array.isArray(value) && trace[key] && typeof trace[key] === "object") {
          trace[key] = { ...trace[key], ...value };
        } else {
          trace[key] = value;
        }
      }
      data[index] = trace;
    });
    fig = { ...fig, data };
    shown = k;
    slider.value = k;
    status.innerHTML = model.get("frame_status")[k] ?? "";
    const late = playing && k < frames.length - 1 && cost3d > SLOW_3D_MS;
    const indices = frame.traces.filter((i) => !(late && THREE_D.has(data[i].type)));
    pending3d = pending3d || indices.length < frame.traces.length;
    if (indices.length === frame.traces.length) pending3d = false;
    return restyle(frame, indices, playing);
  }
  let pending3d = false; // 3-D traces behind the frame shown

  function restyle(frame, indices, playing) {
    // Only the frame's own properties of those traces, in one Plotly.restyle: the surface itself is untouched.
    const update = {};
    const keys = new Set();
    frame.traces.forEach((index, n) => {
      if (!indices.includes(index)) return;
      for (const [key, value] of Object.entries(frame.data[n])) {
        if (value && typeof value === "object" && !Array.isArray(value)) {
          for (const inner of Object.keys(value)) keys.add(`${key}.${inner}`);
        } else {
          keys.add(key);
        }
      }
    });
    for (const key of keys) {
      const [outer, inner] = key.split(".");
      update[key] = indices.map((i) => {
        const value = fig.data[i][outer];
        return inner === undefined ? value : value?.[inner];
      });
    }
    if (!indices.length) return drawing;
    // While playing, flat traces move with Plotly.animate (no recomputation of the other traces); a paused
    // frame, or one that includes 3-D traces, is a restyle.
    const flat = playing && !indices.some((i) => THREE_D.has(fig.data[i].type));
    drawing = drawing
      .then(() => {
        if (!flat) {
          const start = performance.now();
          const has3d = indices.some((i) => THREE_D.has(fig.data[i].type));
          return Plotly.restyle(plot, update, indices).then(() => {
            if (has3d) cost3d = performance.now() - start;
          });
        }
        // Plotly.animate without redraw moves cartesian traces in place; a restyle would recompute every
        // trace, the 3-D surface included (~150 ms a frame in a software renderer).
        const changes = indices.map((i) => Object.fromEntries(Object.keys(update).map((k) => [k, fig.data[i][k.split(".")[0]]])));
        const data = indices.map((i, n) => Object.fromEntries(Object.keys(changes[n]).map((k) => [k, changes[n][k]])));
        return Plotly.animate(plot, { data, traces: indices }, { transition: { duration: 0 }, frame: { duration: 0, redraw: false } });
      })
      .catch((error) => console.error("[backprop-explainer] a frame could not be drawn", error));
    return drawing;
  }

  function stop(report) {
    if (timer !== null) clearInterval(timer);
    timer = null;
    if (pending3d) {
      pending3d = false;
      draw(); // the 3-D scene catches up with the frame shown
    }
    button.textContent = "▶ play";
    button.setAttribute("aria-label", "play the descent");
    if (report) {
      model.set("playing", false);
      model.set("frame", shown);
      model.save_changes();
    }
  }

  function play() {
    const frames = model.get("frames");
    if (!frames.length) return;
    if (shown >= frames.length - 1) applyFrame(0);
    button.textContent = "❚❚ pause";
    button.setAttribute("aria-label", "pause");
    if (timer !== null) clearInterval(timer);
    let busy = false;
    timer = setInterval(async () => {
      if (busy) return; // a slow frame is skipped rather than queued: playback keeps its pace
      busy = true;
      const next = shown + 1;
      if (next >= model.get("frames").length) {
        stop(true);
      } else {
        await applyFrame(next, true);
      }
      busy = false;
    }, model.get("frame_ms"));
  }

  function setupPlayer() {
    const frames = model.get("frames");
    player.hidden = frames.length === 0;
    slider.max = Math.max(frames.length - 1, 0);
    if (frames.length) applyFrame(model.get("frame"));
    if (!model.get("playing")) stop(false);
  }

  button.addEventListener("click", () => {
    if (timer !== null) stop(true);
    else {
      model.set("playing", true);
      model.save_changes();
      play();
    }
  });
  slider.addEventListener("input", () => {
    stop(false);
    applyFrame(Number(slider.value));
  });
  slider.addEventListener("change", () => {
    model.set("frame", shown);
    model.set("playing", false);
    model.save_changes();
  });

  const onMessage = (msg) => {
    if (!msg) return;
    if (msg.event === "full" && msg.revision > revision) {
      fig = structuredClone(msg.figure);
      revision = msg.revision;
      draw();
    } else if (msg.event === "patch") {
      if (msg.revision <= revision) return;
      if (msg.revision !== revision + 1) {
        model.send({ event: "hello", revision });
        return;
      }
      const data = fig.data.slice();
      for (const [index, change] of Object.entries(msg.traces)) data[Number(index)] = merged(data[Number(index)], change);
      fig = { data, layout: merged(fig.layout, msg.layout) };
      revision = msg.revision;
      draw();
    }
  };
  const onFrames = () => setupPlayer();
  const onFrame = () => {
    if (model.get("frame") !== shown) applyFrame(model.get("frame"));
  };
  const onPlaying = () => {
    if (model.get("playing") && timer === null) play();
    else if (!model.get("playing") && timer !== null) stop(false);
  };
  const onHint = () => {
    hint.textContent = model.get("hint");
    hint.hidden = !model.get("hint");
  };
  model.on("msg:custom", onMessage);
  model.on("change:frames", onFrames);
  model.on("change:frame", onFrame);
  model.on("change:playing", onPlaying);
  model.on("change:hint", onHint);

  await draw();
  plot.on("plotly_click", (event) => {
    const p = event?.points?.[0];
    if (!p) return;
    model.send({ event: "click", trace: p.curveNumber, point: p.pointNumber ?? 0, data: { x: p.x, y: p.y, z: p.z ?? null } });
  });
  onHint();
  setupPlayer();
  if (model.get("playing")) play();
  model.send({ event: "hello", revision });
  const resize = new ResizeObserver(() => Plotly.Plots.resize(plot));
  resize.observe(root);
  return () => {
    stop(false);
    resize.disconnect();
    model.off("msg:custom", onMessage);
    model.off("change:frames", onFrames);
    model.off("change:frame", onFrame);
    model.off("change:playing", onPlaying);
    model.off("change:hint", onHint);
    Plotly.purge(plot);
  };
}

export default { render };
