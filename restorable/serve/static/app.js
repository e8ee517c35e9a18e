// restorable serve: the page. Plain JavaScript, no external files (the page works offline).
"use strict";

const $ = (id) => document.getElementById(id);
let operators = {};

// ---- server calls: every error arrives as {error: "one line"} ----
async function call(url, options = {}) {
  let response;
  try {
    response = await fetch(url, options);
  } catch (e) {
    throw new Error("the server does not answer (is restorable serve still running?)");
  }
  const text = await response.text();
  let body = {};
  try { body = text ? JSON.parse(text) : {}; } catch (e) { body = {error: `server error ${response.status}`}; }
  if (!response.ok) throw new Error(body.error || `server error ${response.status}`);
  return body;
}

function say(id, text) { $(id).textContent = text || ""; }

async function upload(file, infoId, messageId) {
  say(messageId, "");
  say(infoId, `uploading ${file.name}...`);
  try {
    const item = await call("/api/uploads", {method: "POST", body: file, headers: {"X-Filename": encodeURIComponent(file.name)}});
    say(infoId, `${item.name}: ${item.width} x ${item.height}`);
    return item;
  } catch (e) {
    say(infoId, "");
    say(messageId, e.message);
    return null;
  }
}

// follow a job until it ends; onUpdate(job) on every poll
async function follow(job, prefix, onUpdate) {
  const bar = $(`${prefix}-progress`);
  bar.hidden = false;
  for (;;) {
    bar.value = job.progress;
    say(`${prefix}-stage`, job.state === "running" || job.state === "queued" ? `${job.stage}...` : job.stage);
    if (onUpdate) onUpdate(job);
    if (["done", "failed", "cancelled"].includes(job.state)) break;
    await new Promise((r) => setTimeout(r, 250));
    job = await call(`/api/jobs/${job.id}`);
  }
  if (job.state !== "done") bar.hidden = true;
  if (job.state === "failed") say(`${prefix}-message`, job.error);
  return job;
}

// ---- drop zones ----
function dropZone(zoneId, inputId, onFile) {
  const zone = $(zoneId);
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer.files.length) onFile(e.dataTransfer.files[0]);
  });
  $(inputId).addEventListener("change", (e) => { if (e.target.files.length) onFile(e.target.files[0]); });
}

// ---- synchronised zoom and scroll over several panes ----
class Viewer {
  constructor(root) {
    this.root = root;
    window.addEventListener("resize", () => this.apply());
    this.zoom = "fit";
    this.syncing = false;
    root.querySelectorAll("[data-zoom]").forEach((b) => b.addEventListener("click", () => this.setZoom(b.dataset.zoom)));
    root.querySelectorAll(".scroller").forEach((s) => s.addEventListener("scroll", () => this.sync(s)));
    root.querySelectorAll(".scroller img").forEach((img) => img.addEventListener("load", () => this.apply()));
  }
  // every image is shown at the original's size, so that a smaller processed image (rescale) lines up
  baseWidth() {
    const widths = [...this.root.querySelectorAll(".scroller img")].map((i) => i.naturalWidth).filter((w) => w > 0);
    return widths.length ? Math.max(...widths) : 0;
  }
  setZoom(zoom) {
    this.zoom = zoom;
    this.root.querySelectorAll("[data-zoom]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.zoom === zoom)));
    this.apply();
  }
  apply() {
    const width = this.baseWidth();
    this.root.classList.toggle("zoomed", this.zoom !== "fit" && Number(this.zoom) >= 2);
    this.root.querySelectorAll(".scroller").forEach((s) => {
      const target = s.querySelector(".stack") || s.querySelector("img");
      const img = s.querySelector("img");
      if (this.zoom !== "fit" || !width) {
        target.style.width = width ? `${width * Number(this.zoom)}px` : "100%";
      } else {  // fit: the whole photo in view, as wide as the pane and no taller than the window allows
        const aspect = img.naturalWidth / Math.max(1, img.naturalHeight);
        target.style.width = `${Math.floor(Math.min(s.clientWidth, 0.7 * window.innerHeight * aspect))}px`;
      }
    });
  }
  sync(source) {
    if (this.syncing) return;
    this.syncing = true;
    this.root.querySelectorAll(".scroller").forEach((s) => {
      if (s !== source) { s.scrollLeft = source.scrollLeft; s.scrollTop = source.scrollTop; }
    });
    this.syncing = false;
  }
}

// ---- the effect controls ----
function paramControl(key, p) {
  const row = document.createElement("div");
  row.className = "param";
  const log = p.scale === "log";
  const toSlider = (v) => (log ? (Math.log(v / p.min) / Math.log(p.max / p.min)) * 1000 : v);
  const fromSlider = (s) => (log ? p.min * Math.pow(p.max / p.min, s / 1000) : Number(s));
  const slider = document.createElement("input");
  slider.type = "range";
  slider.name = key;
  slider.min = log ? 0 : p.min;
  slider.max = log ? 1000 : p.max;
  slider.step = p.integer && !log ? 1 : "any";  // "any": the default stays exactly the default
  slider.value = toSlider(p.default);
  const value = document.createElement("output");
  const show = () => { const v = fromSlider(slider.value); value.textContent = p.integer ? String(Math.round(v)) : Number(v.toPrecision(3)); };
  slider.addEventListener("input", () => { show(); updateBatchSettings(); });
  const reset = document.createElement("button");
  reset.textContent = "default";
  reset.type = "button";
  reset.addEventListener("click", () => { slider.value = toSlider(p.default); show(); updateBatchSettings(); });
  const label = document.createElement("label");
  label.textContent = `${key}${p.conditioned ? " *" : ""}`;
  label.title = p.help;
  row.append(label, slider, value, reset);
  const help = document.createElement("span");
  help.className = "help";
  help.textContent = `${p.help} (${p.min} to ${p.max}, default ${p.default})`;
  row.append(help);
  show();
  row.read = () => { const v = fromSlider(slider.value); return p.integer ? Math.round(v) : Number(v.toPrecision(6)); };
  row.isDefault = () => Math.abs(fromSlider(slider.value) - p.default) <= 1e-9 * Math.max(1, Math.abs(p.default));
  return row;
}

function showParams() {
  const op = operators[$("op").value];
  $("op-description").textContent = `${op.description} (paper type ${op.type}: ${op.type_name})`;
  const box = $("params");
  box.replaceChildren(...Object.entries(op.params).map(([k, p]) => paramControl(k, p)));
  updateBatchSettings();
}

function effectSettings() {
  const params = {};
  $("params").querySelectorAll(".param").forEach((row) => {
    const key = row.querySelector("input").name;
    if (!row.isDefault()) params[key] = row.read();
  });
  return {op: $("op").value, params, format: $("format").value, quality: Number($("quality").value)};
}

function updateBatchSettings() {
  if (!$("op").value) return;
  const s = effectSettings();
  const params = Object.entries(s.params).map(([k, v]) => `${k}=${v}`).join(", ") || "defaults";
  say("batch-settings", `${s.op} (${params}), ${s.format === "jpg" ? `JPEG ${s.quality}` : "PNG"}`);
}

// ---- Try an effect ----
let tryUpload = null;
const tryViewer = new Viewer($("try-result"));

async function runEffect() {
  say("try-message", "");
  $("apply").disabled = true;
  try {
    const job = await follow(await call("/api/jobs", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({kind: "effect", upload: tryUpload.id, ...effectSettings()})}), "try");
    if (job.state === "done") showEffect(job);
  } catch (e) {
    say("try-message", e.message);
  } finally {
    $("apply").disabled = !tryUpload;
  }
}

function showEffect(job) {
  const r = job.result;
  const files = (what) => `/api/jobs/${job.id}/files/${what}`;
  $("img-original").src = files("original");
  $("img-processed").src = files("processed");
  $("img-restored").src = files("restored");
  $("download-processed").href = `${files("processed")}?download=1`;
  $("download-processed").textContent = `Download ${r.name} (${(r.bytes / 1e6).toFixed(2)} MB)`;
  $("download-restored").href = `${files("restored")}?download=1`;
  const size = r.processed_size.join(" x ");
  const figures = r.psnr === undefined ? "restored" : `restored from the ${r.format.toUpperCase()} file: PSNR ${r.psnr.toFixed(2)} dB, SSIM ${r.ssim.toFixed(4)}`;
  const params = Object.entries(r.params).map(([k, v]) => `${k}=${Number(v.toPrecision(3))}`).join(", ");
  say("try-figures", `${r.op} (${params}): ${size}; ${figures}${r.notes.length ? ` (${r.notes.join("; ")})` : ""}`);
  showCompare();
  $("try-result").hidden = false;
}

function showCompare() {
  $("cmp-before").src = $(`img-${$("before").value}`).src;
  $("cmp-after").src = $("img-processed").src;
  $("cmp-after").style.clipPath = `inset(0 0 0 ${$("split").value}%)`;
  $("divider").style.left = `${$("split").value}%`;
  say("cmp-before-label", $("before").value);
}

// ---- Restore a file ----
let restoreUpload = null;
new Viewer($("restore-result"));

async function runRestore() {
  say("restore-message", "");
  $("restore-run").disabled = true;
  try {
    const job = await follow(await call("/api/jobs", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({kind: "restore", upload: restoreUpload.id})}), "restore");
    if (job.state === "done") {
      const files = (what) => `/api/jobs/${job.id}/files/${what}`;
      $("img-rprocessed").src = files("processed");
      $("img-rrestored").src = files("restored");
      $("download-restore").href = `${files("restored")}?download=1`;
      $("download-restore").textContent = `Download ${job.result.name}`;
      const r = job.result;
      say("restore-figures", `${r.size.join(" x ")}, ${r.method}${r.op ? ` (made with ${r.op})` : ""}${r.notes.length ? `; ${r.notes.join("; ")}` : ""}`);
      $("restore-result").hidden = false;
    }
  } catch (e) {
    say("restore-message", e.message);
  } finally {
    $("restore-run").disabled = !restoreUpload;
  }
}

// ---- Folders ----
let batchJob = null;

function showItems(job) {
  const body = $("batch-table").querySelector("tbody");
  body.replaceChildren(...job.items.map((item) => {
    const tr = document.createElement("tr");
    tr.className = item.state;
    for (const text of [item.name, item.state, item.message]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }));
  $("batch-table").hidden = job.items.length === 0;
}

async function runBatch() {
  say("batch-message", "");
  $("batch-start").disabled = true;
  $("batch-cancel").disabled = false;
  try {
    batchJob = await call("/api/jobs", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({kind: "batch", folder: Number($("folder").value), ...effectSettings()})});
    const job = await follow(batchJob, "batch", showItems);
    if (job.state === "done") {
      const r = job.result;
      say("batch-stage", `done: ${r.done} written, ${r.failed} failed, ${r.skipped} kept (already there) in ${r.out}`);
    }
  } catch (e) {
    say("batch-message", e.message);
  } finally {
    $("batch-start").disabled = false;
    $("batch-cancel").disabled = true;
  }
}

// ---- start ----
async function start() {
  document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => {
    document.querySelectorAll(".tab").forEach((t) => t.setAttribute("aria-selected", String(t === tab)));
    document.querySelectorAll(".panel").forEach((p) => { p.hidden = p.id !== tab.dataset.tab; });
  }));
  document.querySelectorAll(".view").forEach((b) => b.addEventListener("click", () => {
    document.querySelectorAll(".view").forEach((v) => v.setAttribute("aria-pressed", String(v === b)));
    $("try-panes").hidden = b.dataset.view !== "side";
    $("try-compare").hidden = b.dataset.view !== "compare";
    tryViewer.apply();
  }));
  $("split").addEventListener("input", showCompare);
  $("before").addEventListener("change", showCompare);
  $("format").addEventListener("change", () => { $("quality-box").hidden = $("format").value !== "jpg"; updateBatchSettings(); });
  $("quality").addEventListener("input", () => { say("quality-value", $("quality").value); updateBatchSettings(); });
  dropZone("try-drop", "try-file", async (file) => { tryUpload = await upload(file, "try-upload", "try-message"); $("apply").disabled = !tryUpload; });
  dropZone("restore-drop", "restore-file", async (file) => { restoreUpload = await upload(file, "restore-upload", "restore-message"); $("restore-run").disabled = !restoreUpload; });
  $("apply").addEventListener("click", runEffect);
  $("restore-run").addEventListener("click", runRestore);
  $("batch-start").addEventListener("click", runBatch);
  $("batch-cancel").addEventListener("click", () => { if (batchJob) call(`/api/jobs/${batchJob.id}/cancel`, {method: "POST"}); });

  try {
    const [ops, config] = await Promise.all([call("/api/ops"), call("/api/config")]);
    operators = ops.operators;
    const select = $("op");
    for (const [family, entry] of Object.entries(ops.families)) {
      const group = document.createElement("optgroup");
      group.label = `${family}: ${entry.description}`;
      const single = entry.operators.filter((name) => operators[name].inputs === 1);  // pack-N: restorable pack
      for (const name of single) group.append(new Option(name, name));
      if (single.length) select.append(group);
    }
    select.value = "l0" in operators ? "l0" : Object.keys(operators)[0];
    select.addEventListener("change", showParams);
    showParams();
    $("no-folders").hidden = config.folders.length > 0;
    $("batch-start").disabled = config.folders.length === 0;
    for (const f of config.folders) $("folder").append(new Option(`${f.path} (${f.photos} photos)`, f.index));
    say("batch-out", config.out);
  } catch (e) {
    say("try-message", e.message);
  }
}

start();
