/// The console at `/`: one self-contained page (inline CSS and JavaScript, nothing fetched but
/// `/status`) that polls the status every 1.5 s and draws it: policy and roles, the certifier's last
/// admissions and refusals, the runtime's model, open round with a countdown, lineage and a chart of
/// loss and validation accuracy per round (an SVG the page draws).
///
/// Text from the status is only ever set as `textContent`, never as HTML: a refusal's reasons quote
/// what a client sent. The elements a browser test reads have stable ids: `role`, `version`, `policy`,
/// `policy-sha256`, `roles`, `mode`, `admission`, `model`, `round`, `updates`, `countdown`, `lineage`,
/// `chart` (with `chart-loss` and `chart-accuracy`, one `circle` per point), `peers`, `admissions`,
/// `refusals`, `updated` and `error`.
enum ConsolePage {
    /// The page.
    static let html = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ConfidentialML console</title>
<style>
  :root { --fg: #1d232b; --muted: #5f6b7a; --line: #d7dde4; --bg: #f6f8fa; --ok: #1a7f37; --bad: #c62828; --loss: #d1495b; --acc: #2f6fde; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
  header { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: baseline; padding: 12px 20px; background: #fff; border-bottom: 1px solid var(--line); }
  header h1 { font-size: 18px; margin: 0; }
  main { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 16px; padding: 16px 20px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 16px; min-width: 0; }
  section h2 { font-size: 14px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 0 0 8px; }
  .big { font-size: 28px; font-weight: 600; }
  .muted { color: var(--muted); }
  code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: 12px; word-break: break-all; }
  .nowrap { word-break: keep-all; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { color: var(--muted); font-weight: 500; }
  ol, ul { margin: 0; padding-left: 1.4em; }
  .admitted { color: var(--ok); font-weight: 600; }
  .refused { color: var(--bad); font-weight: 600; }
  #error { color: var(--bad); font-weight: 600; }
  #countdown.due { color: var(--bad); }
  .legend span { margin-right: 1.2em; }
  .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: middle; }
  svg text { font-size: 10px; fill: var(--muted); }
</style>
</head>
<body>
<header>
  <h1>ConfidentialML <span id="role" class="muted">...</span></h1>
  <span>version <span id="version">?</span></span>
  <span id="mode-line" hidden>mode <strong id="mode"></strong></span>
  <span>updated <span id="updated">never</span></span>
  <span id="error" role="alert"></span>
</header>
<main>
  <section id="policy-section">
    <h2>Policy</h2>
    <div><strong id="policy">?</strong></div>
    <div class="muted">SHA-256 <code id="policy-sha256"></code></div>
    <div id="admission-line" hidden>admitted as <code id="admission"></code></div>
    <table><thead><tr><th>role</th><th>accepted measurements</th></tr></thead><tbody id="roles"></tbody></table>
  </section>
  <section id="model-section" hidden>
    <h2>Model</h2>
    <div>round <span id="round" class="big">-</span> &nbsp; model <code id="model">none yet</code></div>
    <div id="open-round" hidden>
      <div>open round: <span id="updates"></span></div>
      <div>deadline in <strong id="countdown">-</strong> <span class="muted" id="deadline"></span></div>
    </div>
    <h2 style="margin-top:12px">Connected peers</h2>
    <ul id="peers"></ul>
  </section>
  <section id="chart-section" hidden>
    <h2>Loss and validation accuracy per round</h2>
    <div class="legend"><span><i class="swatch" style="background:var(--loss)"></i>mean loss</span><span><i class="swatch" style="background:var(--acc)"></i>validation accuracy</span></div>
    <svg id="chart" viewBox="0 0 420 200" width="100%" role="img" aria-label="loss and accuracy per round" data-points="0">
      <g id="chart-axes"></g>
      <polyline id="chart-loss-line" fill="none" stroke="#d1495b" stroke-width="2" points=""></polyline>
      <polyline id="chart-accuracy-line" fill="none" stroke="#2f6fde" stroke-width="2" points=""></polyline>
      <g id="chart-loss" fill="#d1495b"></g>
      <g id="chart-accuracy" fill="#2f6fde"></g>
    </svg>
  </section>
  <section id="lineage-section" hidden>
    <h2>Lineage (last rounds, newest last)</h2>
    <ol id="lineage"></ol>
  </section>
  <section id="admissions-section" hidden>
    <h2>Last admissions</h2>
    <table><thead><tr><th>time</th><th>role</th><th>measurement</th><th>serial</th></tr></thead><tbody id="admissions"></tbody></table>
  </section>
  <section id="refusals-section" hidden>
    <h2>Last refusals</h2>
    <table><thead><tr><th>time</th><th>role</th><th>code</th><th>reasons</th></tr></thead><tbody id="refusals"></tbody></table>
  </section>
</main>
<script>
"use strict";
const SVG = "http://www.w3.org/2000/svg";
let deadlineAt = null;

function el(id) { return document.getElementById(id); }
function text(id, value) { el(id).textContent = value; }
function show(id, visible) { el(id).hidden = !visible; }
function cell(row, value, cls) { const td = document.createElement("td"); td.textContent = value; if (cls) td.className = cls; row.appendChild(td); return td; }
function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
function fixed(value, digits) { return typeof value === "number" ? value.toFixed(digits) : "-"; }

function renderPolicy(s) {
  text("policy", s.policy.name);
  text("policy-sha256", s.policy.sha256 || "unknown");
  const body = el("roles"); clear(body);
  for (const r of s.policy.roles) {
    const row = document.createElement("tr");
    cell(row, r.role);
    const td = cell(row, r.measurements.length ? "" : "none");
    td.className = "mono";
    for (const m of r.measurements) { const div = document.createElement("div"); div.textContent = m; td.appendChild(div); }
    body.appendChild(row);
  }
}

function renderDecisions(id, list, admitted) {
  const body = el(id); clear(body);
  for (const d of list.slice().reverse()) {
    const row = document.createElement("tr");
    cell(row, d.time.replace("T", " "), "nowrap");
    cell(row, d.role || "(none)", admitted ? "admitted" : "refused");
    if (admitted) { cell(row, d.measurement || "-", "mono nowrap"); cell(row, d.serial || "-", "mono nowrap"); }
    else { cell(row, d.code || "-", "mono nowrap"); cell(row, (d.reasons || []).join("; ")); }
    body.appendChild(row);
  }
  if (!list.length) { const row = document.createElement("tr"); cell(row, "none yet", "muted").colSpan = 4; body.appendChild(row); }
}

function renderRuntime(s) {
  show("mode-line", true); text("mode", s.mode);
  if (s.admission) { show("admission-line", true); text("admission", "serial " + s.admission.serial + " until " + s.admission.expires); }
  text("model", s.model ? s.model.id : "none yet");
  text("round", s.model ? String(s.model.round) : "-");
  const open = s.openRound;
  show("open-round", !!open);
  if (open) {
    text("updates", open.updates + " of " + open.minUpdates + " updates (quorum " + open.quorum + ")" + (open.closing ? ", closing" : ""));
    text("deadline", "(" + open.deadline + ")");
    deadlineAt = Date.now() + open.secondsToDeadline * 1000;
  } else { deadlineAt = null; }
  tick();
  const peers = el("peers"); clear(peers);
  for (const p of s.peers) { const li = document.createElement("li"); li.textContent = p.role + " " + p.id + " since " + p.since; peers.appendChild(li); }
  if (!s.peers.length) { const li = document.createElement("li"); li.textContent = "none"; li.className = "muted"; peers.appendChild(li); }
  const lineage = el("lineage"); clear(lineage);
  for (const r of s.rounds) {
    const li = document.createElement("li");
    li.value = r.round;
    li.dataset.round = String(r.round);
    li.dataset.id = r.id;
    const plural = r.updates === 1 ? "" : "s";
    li.textContent = `round ${r.round}: ${r.id} (${r.rule}, ${r.updates} update${plural}, ${r.samples} samples, `
      + `${fixed(r.milliseconds, 1)} ms, loss ${fixed(r.meanLoss, 4)}, accuracy ${fixed(r.validationAccuracy, 3)})`;
    lineage.appendChild(li);
  }
  if (!s.rounds.length) { const li = document.createElement("li"); li.textContent = "no model made since start"; li.className = "muted"; lineage.appendChild(li); }
  drawChart(s.rounds);
}

function drawChart(rounds) {
  const W = 420, H = 200, L = 40, R = 40, T = 10, B = 30;
  const axes = el("chart-axes"); clear(axes); clear(el("chart-loss")); clear(el("chart-accuracy"));
  el("chart").setAttribute("data-points", String(rounds.length));
  const losses = rounds.map(r => r.meanLoss).filter(v => typeof v === "number");
  const maxLoss = Math.max(1e-9, ...losses);
  const x = i => rounds.length <= 1 ? L + (W - L - R) / 2 : L + i * (W - L - R) / (rounds.length - 1);
  const yLoss = v => T + (H - T - B) * (1 - v / maxLoss);
  const yAcc = v => T + (H - T - B) * (1 - v);
  const line = (x1, y1, x2, y2) => { const l = document.createElementNS(SVG, "line"); l.setAttribute("x1", x1); l.setAttribute("y1", y1); l.setAttribute("x2", x2); l.setAttribute("y2", y2); l.setAttribute("stroke", "#d7dde4"); axes.appendChild(l); };
  const label = (x0, y0, value, anchor) => { const t = document.createElementNS(SVG, "text"); t.setAttribute("x", x0); t.setAttribute("y", y0); t.setAttribute("text-anchor", anchor); t.textContent = value; axes.appendChild(t); };
  line(L, H - B, W - R, H - B); line(L, T, L, H - B); line(W - R, T, W - R, H - B);
  label(L - 4, T + 8, losses.length ? maxLoss.toFixed(2) : "", "end"); label(L - 4, H - B, "0", "end");
  label(W - R + 4, T + 8, "1.0", "start"); label(W - R + 4, H - B, "0", "start");
  const lossPoints = [], accPoints = [];
  rounds.forEach((r, i) => {
    label(x(i), H - B + 14, String(r.round), "middle");
    if (typeof r.meanLoss === "number") { lossPoints.push(x(i) + "," + yLoss(r.meanLoss)); dot("chart-loss", x(i), yLoss(r.meanLoss), r.round, r.meanLoss); }
    if (typeof r.validationAccuracy === "number") { accPoints.push(x(i) + "," + yAcc(r.validationAccuracy)); dot("chart-accuracy", x(i), yAcc(r.validationAccuracy), r.round, r.validationAccuracy); }
  });
  el("chart-loss-line").setAttribute("points", lossPoints.join(" "));
  el("chart-accuracy-line").setAttribute("points", accPoints.join(" "));
  if (!rounds.length) label(W / 2, H / 2, "no rounds yet", "middle");
  else if (!lossPoints.length && !accPoints.length) label(W / 2, H / 2, "no loss or accuracy reported yet", "middle");
}

function dot(group, cx, cy, round, value) {
  const c = document.createElementNS(SVG, "circle");
  c.setAttribute("cx", cx); c.setAttribute("cy", cy); c.setAttribute("r", 3);
  c.dataset.round = String(round); c.dataset.value = String(value);
  const title = document.createElementNS(SVG, "title"); title.textContent = "round " + round + ": " + value.toFixed(4); c.appendChild(title);
  el(group).appendChild(c);
}

function tick() {
  if (deadlineAt === null) { text("countdown", "-"); return; }
  const seconds = Math.round((deadlineAt - Date.now()) / 1000);
  const node = el("countdown");
  node.classList.toggle("due", seconds <= 0);
  if (seconds <= 0) { node.textContent = "due (closes at quorum)"; return; }
  const h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), sec = seconds % 60;
  node.textContent = (h ? h + "h " : "") + (h || m ? m + "m " : "") + sec + "s";
}

function render(s) {
  text("role", s.role); text("version", s.version);
  document.title = "ConfidentialML " + s.role;
  renderPolicy(s);
  const runtime = s.role === "runtime";
  for (const id of ["model-section", "chart-section", "lineage-section"]) show(id, runtime);
  for (const id of ["admissions-section", "refusals-section"]) show(id, !runtime);
  if (runtime) renderRuntime(s);
  else { renderDecisions("admissions", s.admissions || [], true); renderDecisions("refusals", s.refusals || [], false); }
  text("updated", s.time);
}

async function poll() {
  try {
    const response = await fetch("/status", { cache: "no-store" });
    if (!response.ok) throw new Error("HTTP " + response.status);
    render(await response.json());
    text("error", "");
  } catch (e) {
    text("error", "cannot read /status: " + e.message);
  }
}

poll();
setInterval(poll, 1500);
setInterval(tick, 250);
</script>
</body>
</html>
"""#
}
