// The review page's one script: keys, toggles, save / skip / undo, preloading, retrain.
// Article text is put in the page with textContent only (never innerHTML), so it stays escaped.
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("config").textContent);
  const keys = config.keys;
  const byKey = {};
  for (const t of config.themes) { if (t.key) byKey[t.key] = t.id; }
  let current = config.item;          // the article on screen
  let ahead = [];                     // the next articles, fetched before they are needed
  let busy = false;
  const $ = (id) => document.getElementById(id);

  function status(text, bad) {
    const el = $("status");
    el.textContent = text;
    el.className = bad ? "status bad" : "status";
  }

  function progress(p) {
    if (p && typeof p.saved === "number") {
      $("saved").textContent = p.saved;
      $("queued").textContent = p.queued;
    }
  }

  async function call(method, url, body) {
    const init = { method: method, headers: { "Content-Type": "application/json" } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await fetch(url, init);
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      const d = data.detail;
      throw new Error(Array.isArray(d) ? d.map((x) => x.msg).join("; ") : (d || res.status));
    }
    return data;
  }

  function fillText(el, text, marks) {
    el.textContent = "";
    let pos = 0;
    for (const m of marks || []) {
      if (m.start > pos) el.appendChild(document.createTextNode(text.slice(pos, m.start)));
      const mark = document.createElement("mark");
      mark.dataset.themes = m.themes.join(" ");
      mark.title = m.themes.join(" ");
      mark.textContent = text.slice(m.start, m.end);
      el.appendChild(mark);
      pos = m.end;
    }
    if (pos < text.length) el.appendChild(document.createTextNode(text.slice(pos)));
  }

  function setTheme(button, on) {
    button.classList.toggle("on", on);
    button.setAttribute("aria-pressed", on ? "true" : "false");
  }

  function show(item, ticked) {
    current = item;
    const section = $("article");
    section.dataset.id = item ? item.id : "";
    if (!item) {
      $("why").textContent = "";
      $("title").textContent = "Nothing left to review";
      $("summary").textContent = "Every article of the inputs is saved. Retrain below.";
      $("text").textContent = "";
    } else {
      $("why").textContent = item.why || "";
      $("title").textContent = item.title || "(untitled)";
      $("summary").textContent = item.summary || "";
      fillText($("text"), item.text, item.marks);
    }
    const chosen = new Set(ticked || (item ? item.labels : []));
    for (const b of document.querySelectorAll("button.theme")) {
      const id = b.dataset.theme;
      setTheme(b, chosen.has(id));
      const score = item ? item.scores[id] || 0 : 0;
      b.querySelector(".bar").style.width = Math.round(score * 100) + "%";
      b.querySelector(".num").textContent = score.toFixed(2);
    }
    highlight();
    window.scrollTo(0, 0);
  }

  // Marks of the themes ticked now stand out; the other marks stay faint.
  function highlight() {
    const on = new Set(ticked());
    for (const m of document.querySelectorAll("#text mark")) {
      const themes = (m.dataset.themes || "").split(" ");
      m.classList.toggle("active", themes.some((t) => on.has(t)));
    }
  }

  function ticked() {
    return Array.from(document.querySelectorAll("button.theme.on")).map((b) => b.dataset.theme);
  }

  let epoch = 0;  // bumped by every save, skip and undo

  async function refill() {
    // The queue on the server no longer holds the article just saved or skipped. A reply
    // that left before the latest action may still hold it: fetch again instead.
    for (;;) {
      const started = epoch;
      const data = await call("GET", "/api/queue?n=" + 3);
      if (started !== epoch) continue;
      progress(data);
      const shown = current ? current.id : null;
      ahead = data.items.filter((x) => x.id !== shown);
      return data;
    }
  }

  async function next() {
    if (ahead.length === 0) await refill();
    show(ahead.shift() || null);
    refill().catch((e) => status("could not load the queue: " + e.message, true));
  }

  async function guarded(work) {
    if (busy) return;
    busy = true;
    try { await work(); } catch (e) { status(e.message, true); } finally { busy = false; }
  }

  function save() {
    return guarded(async () => {
      if (!current) return;
      const data = await call("POST", "/api/labels", { id: current.id, labels: ticked() });
      epoch += 1;
      progress(data);
      status("saved " + data.record.id + ": " + (data.record.labels.join(", ") || "no theme"));
      await next();
    });
  }

  function skip() {
    return guarded(async () => {
      if (!current) return;
      const data = await call("POST", "/api/skip", { id: current.id });
      epoch += 1;
      progress(data);
      status("skipped " + current.id);
      await next();
    });
  }

  function undo() {
    return guarded(async () => {
      const data = await call("POST", "/api/undo");
      epoch += 1;
      progress(data);
      if (!data.undone) { status("nothing to undo"); return; }
      status("undid " + data.undone.id);
      if (data.undone.item) {
        if (current) ahead.unshift(current);
        show(data.undone.item, data.undone.saved_labels);
      }
    });
  }

  function toggle(id) {
    const b = document.querySelector('button.theme[data-theme="' + CSS.escape(id) + '"]');
    if (b) { setTheme(b, !b.classList.contains("on")); highlight(); }
  }

  async function pollRetrain() {
    const s = await call("GET", "/api/retrain");
    const box = $("retrain-result");
    box.textContent = "";
    const line = (text) => { const p = document.createElement("p"); p.textContent = text; box.appendChild(p); };
    const pct = (x) => (typeof x === "number" ? x.toFixed(3) : "n/a");
    if (s.state === "running") {
      line("training on " + s.lines + " saved lines…");
      setTimeout(() => pollRetrain().catch(() => {}), 2000);
    } else if (s.state === "done") {
      line("new model: " + s.model + " (" + s.seconds + " s)");
      line("cross-validated micro-F1 on the corrections: " + (s.cv_corrections_micro_f1 === null
        ? "not reported by this version of train" : pct(s.cv_corrections_micro_f1)));
      line("cross-validated micro-F1, all " + s.n_examples + " examples: " + pct(s.cv_all_micro_f1));
      line("old model on the corrections (never saw them): " + pct(s.base_on_corrections_micro_f1));
    } else if (s.state === "failed") {
      line("retrain failed: " + s.error);
    }
    $("retrain").disabled = s.state === "running";
  }

  function retrain() {
    return guarded(async () => {
      await call("POST", "/api/retrain");
      await pollRetrain();
    });
  }

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    const tag = (e.target && e.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA") return;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (key === keys.save) { e.preventDefault(); save(); }
    else if (key === keys.skip) { e.preventDefault(); skip(); }
    else if (key === keys.undo) { e.preventDefault(); undo(); }
    else if (byKey[key]) { e.preventDefault(); toggle(byKey[key]); }
  });
  for (const b of document.querySelectorAll("button.theme")) {
    b.addEventListener("click", () => toggle(b.dataset.theme));
  }
  $("save").addEventListener("click", save);
  $("skip").addEventListener("click", skip);
  $("undo").addEventListener("click", undo);
  $("retrain").addEventListener("click", retrain);
  highlight();
  refill().catch((e) => status("could not load the queue: " + e.message, true));
  pollRetrain().catch(() => {});
  document.body.dataset.ready = "1";
})();
