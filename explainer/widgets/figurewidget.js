// The front end of explainer.widgets._figurewidget.FigureWidget: plotly's own FigureWidget code, loaded
// once per page and outside anywidget's 2-second window.
//
// anywidget (0.11) rejects a model's `ready` promise when the model's ESM has not been imported and its
// `initialize` has not returned within 2 s, and from then on it drops every message the kernel sends to
// that model (`_handle_comm_msg` awaits `ready`). Plotly's ESM is the whole of plotly.js (about 5 MB):
// importing it takes 1 to 2.5 s on a busy 2-core machine, and each FigureWidget imported its own copy.
// Here the ESM anywidget imports is this small file; plotly's bundle travels in the `_plotly_bundle`
// trait, is imported once per page (all figures share the import), and until it has arrived the
// plotly messages the kernel sends (the `_plotly_messages` traits) are queued, then replayed in order.

const IMPORTS = (globalThis[Symbol.for("backprop-explainer.plotly-widget")] ??= new Map());

/** Plotly's widget module, imported once per page for a given bundle. */
function importPlotlyWidget(model) {
  const id = model.get("_plotly_bundle_id");
  if (!IMPORTS.has(id)) {
    const url = URL.createObjectURL(new Blob([model.get("_plotly_bundle")], { type: "text/javascript" }));
    const module = import(/* webpackIgnore: true */ url);
    const revoke = () => URL.revokeObjectURL(url);
    module.then(revoke, revoke);
    IMPORTS.set(id, module);
  }
  return IMPORTS.get(id);
}

/**
 * The model as plotly's FigureModel sees it: reads of a queued message return that message while it is
 * replayed, and the change callbacks plotly registers are kept so the replay can call them.
 */
function replayableModel(model) {
  const replaying = new Map();
  const callbacks = new Map();
  const view = new Proxy(model, {
    get(target, name) {
      if (name === "get") return (key) => (replaying.has(key) ? replaying.get(key) : target.get(key));
      if (name === "on") {
        return (event, callback, context) => {
          callbacks.set(event, [...(callbacks.get(event) ?? []), callback]);
          return target.on(event, callback, context);
        };
      }
      const value = Reflect.get(target, name);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  function replay(key, value) {
    replaying.set(key, value);
    try {
      for (const callback of callbacks.get(`change:${key}`) ?? []) callback();
    } finally {
      replaying.delete(key);
    }
  }
  return { view, replay };
}

export default () => {
  let plotlyWidget; // promise of plotly's widget definition, once its initialize has run

  return {
    initialize({ model, signal, experimental }) {
      // Queue the kernel's plotly messages until plotly's FigureModel listens (a message is a trait set
      // to a value, then back to null).
      const queue = [];
      let queueing = true;
      for (const key of model.get("_plotly_messages")) {
        model.on(`change:${key}`, () => {
          const value = model.get(key);
          if (queueing && value !== null && value !== undefined) queue.push([key, value]);
        });
      }
      const { view, replay } = replayableModel(model);
      plotlyWidget = importPlotlyWidget(model).then((module) => {
        const widget = module.default();
        if (signal?.aborted) return widget;
        // Synchronous from here to the end: no message can arrive between the replay and plotly's own
        // listeners taking over.
        widget.initialize({ model: view, signal, experimental });
        queueing = false;
        for (const [key, value] of queue.splice(0)) replay(key, value);
        return widget;
      });
      plotlyWidget.catch((error) => console.error("[backprop-explainer] plotly's widget did not load", error));
      // Not awaited: anywidget's `ready` resolves now, and messages are queued above until plotly is there.
    },

    async render(context) {
      const widget = await plotlyWidget;
      if (context.signal?.aborted) return undefined;
      return widget.render(context);
    },
  };
};
