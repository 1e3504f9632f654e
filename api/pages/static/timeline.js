// The timeline page (api/pages/templates/timeline.html): the version slider and the
// replay. Every part works without it (the slider's form has a 查看该版本 button and
// the versions are listed); the script only makes them quicker:
//
// - moving the slider (版本) says "第 k 版，共 n 版", marks version k in the list and
//   shows its status at once (from the list); 查看该版本 loads the page of that
//   version, the case as it stood read by the server (Oversight.read(version=k));
// - 回放 plays the API's replay stream (GET /api/v1/{cases}/{id}/replay, server-sent
//   events: one `version` event per version, then `end`): each version moves the
//   slider, marks its entry and says what happened in a live region.
//
// Plain modern JavaScript, no build step; loaded as a file (the CSP allows no inline
// script).
"use strict";

(() => {
  function setup() {
    const slider = document.querySelector("#tl-version");
    if (!slider) return;
    const output = document.querySelector("[data-version-output]");
    const template = slider.dataset.ofTemplate || "{k}";
    const status = document.querySelector("[data-stood-status]");
    const stoodTitle = document.querySelector("[data-stood-title]");
    const details = document.querySelector("[data-stood-details]");

    function entry(version) {
      return document.querySelector(`.versions__item[data-version="${version}"]`);
    }

    // Show version k as selected: the output, the slider's spoken value, the marked
    // entry and (known from the list) its status.
    function select(version, { scroll = false } = {}) {
      const text = template.replace("{k}", String(version));
      if (output) output.textContent = text;
      slider.setAttribute("aria-valuetext", text);
      document.querySelectorAll(".versions__item[aria-current]").forEach((li) => li.removeAttribute("aria-current"));
      const li = entry(version);
      if (!li) return null;
      li.setAttribute("aria-current", "step");
      if (status && li.dataset.statusLabel) status.textContent = li.dataset.statusLabel;
      if (stoodTitle) {
        const heading = li.querySelector(".versions__title");
        stoodTitle.textContent = heading ? heading.textContent : text;
      }
      // The other details are the server's for the version it read: hidden until the
      // page of the new version is loaded.
      if (details) details.hidden = String(version) !== String(slider.defaultValue);
      if (scroll) li.scrollIntoView({ block: "nearest" });
      return li;
    }

    // No navigation on input or change (WCAG 3.2.2: a setting changed is not a change of
    // context; arrow keys move it one version at a time): 查看该版本 loads the version.
    slider.addEventListener("input", () => select(slider.value));

    // --- the replay ---------------------------------------------------------------------
    const section = document.querySelector("[data-replay]");
    if (!section || typeof EventSource === "undefined") return;
    section.hidden = false;
    const start = section.querySelector("[data-replay-start]");
    const stop = section.querySelector("[data-replay-stop]");
    const said = section.querySelector("[data-replay-status]");
    let source = null;

    function finish(message) {
      if (source) source.close();
      source = null;
      start.disabled = false;
      stop.disabled = true;
      said.textContent = message;
      section.dataset.replayState = "ended";
    }

    start.addEventListener("click", () => {
      if (source) source.close();
      start.disabled = true;
      stop.disabled = false;
      said.textContent = said.dataset.msgPlaying;
      section.dataset.replayState = "playing";
      section.dataset.replayed = "";
      source = new EventSource(section.dataset.replayUrl, { withCredentials: true });
      source.addEventListener("version", (event) => {
        const data = JSON.parse(event.data);
        slider.value = String(data.version);
        const li = select(data.version, { scroll: true });
        const title = li ? li.querySelector(".versions__title") : null;
        const meta = li ? li.querySelector(".versions__meta") : null;
        said.textContent = [title && title.textContent, meta && meta.textContent].filter(Boolean).join(" · ");
        section.dataset.replayed = section.dataset.replayed ? `${section.dataset.replayed},${data.version}` : String(data.version);
      });
      source.addEventListener("end", () => finish(said.dataset.msgEnded));
      source.addEventListener("error", () => {
        // The stream closes after `end`; an error before it is a failure.
        if (source) finish(said.dataset.msgFailed);
      });
    });
    stop.addEventListener("click", () => finish(said.dataset.msgEnded));
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
