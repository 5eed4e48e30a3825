// ThemeProbe (theme.py): tell the kernel whether the page is light or dark, now and whenever that changes.

function detect() {
  const light = document.body?.dataset?.jpThemeLight; // JupyterLab (and Voilà with a lab theme) set it
  if (light === "true") return "light";
  if (light === "false") return "dark";
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function render({ model, el }) {
  el.classList.add("bpx-theme-probe");
  const report = () => {
    const theme = detect();
    if (model.get("detected") !== theme) {
      model.set("detected", theme);
      model.save_changes();
    }
  };
  const observer = new MutationObserver(report);
  observer.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name"] });
  const media = window.matchMedia?.("(prefers-color-scheme: dark)");
  media?.addEventListener?.("change", report);
  report();
  return () => {
    observer.disconnect();
    media?.removeEventListener?.("change", report);
  };
}

export default { render };
