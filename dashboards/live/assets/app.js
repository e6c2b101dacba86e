// leakwatch live page: renders /api/state snapshots pushed over /api/events.
"use strict";
// Twelve colours told apart on the dark page, then the same colours dashed, so a campaign of
// eleven candidates has no two lines alike (eight colours drew two pairs the same).
const colors = ["#4fb3ff", "#ffb347", "#b48cff", "#5fd068", "#ff7eb6", "#f0e14a", "#3dd6c6", "#c0c0c0",
  "#ff8a65", "#9ccc65", "#7986cb", "#d4a373"];
const dashes = ["", "6 3", "2 3", "8 3 2 3"];
const lineStyle = (i) => ({ color: colors[i % colors.length], dash: dashes[Math.floor(i / colors.length) % dashes.length] });
// Time-axis steps in seconds: the first that gives at most ten ticks over the window.
const tickSteps = [900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400];
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
const fmtTime = (t) => t ? new Date(t).toISOString().replace("T", " ").slice(0, 16) + "Z" : "";
const hours = (h) => (h >= 0 ? "" : "-") + Math.abs(h).toFixed(1) + " h";
// ahead is how far off an event is: hours while they count, days beyond three (as the digest says it).
const ahead = (h) => h < 72 ? h.toFixed(1) + " h" : Math.round(h / 24) + " days";
const severities = ["critical", "warning", "info"];

// firstMovers names a group's first movers by their handles where the group knows them
// (first_mover_handles, in first_movers' order), else by account: an id says nothing.
const firstMovers = (g) => (g.first_movers || []).map((a, i) => (g.first_mover_handles || [])[i] || a);

// aboutTag names the candidates a burst, group or leak is about.
const aboutTag = (r) => (r.candidates || []).length ? `<span class="tag">about ${esc(r.candidates.join(", "))}</span>` : "";

function render(s) {
  const c = s.counts;
  $("c-posts").textContent = c.posts; $("c-bursts").textContent = c.bursts; $("c-groups").textContent = c.groups;
  $("c-leaks").textContent = c.leaks; $("c-alerts").textContent = c.alerts; $("c-dead").textContent = c.dead_letters;
  $("campaign").textContent = s.calendar && s.calendar.name ? "— " + s.calendar.name : "";
  if (s.watermark) $("clock").textContent = "event time " + fmtTime(s.watermark);
  // Where event time stands against the calendar: the silence it is in, or the next one.
  const now = s.now || {};
  $("where").innerHTML = now.in_silence ? `<span class="tag silence">IN SILENCE ${esc(now.silence)}</span>`
    + (now.next_vote && now.hours_to_vote > 0 ? ` ${esc(now.next_vote)} in ${ahead(now.hours_to_vote)}` : "")
    : (now.silence ? `${esc(now.silence)} in ${ahead(now.hours_to_silence)}` : "");
  if (s.source_done) { $("conn").textContent = "replay finished"; $("conn").className = "conn ended"; }
  $("bucket").textContent = Math.round(s.bucket_s / 60) + " min";
  chart(s);
  $("leaks").tBodies[0].innerHTML = (s.leaks || []).map((l) => {
    const tm = l.timing || {};
    const where = tm.in_silence ? `<span class="tag silence">in silence ${esc(tm.silence)}</span>`
      : (tm.silence ? `<span class="tag">${hours(tm.hours_to_silence)} before ${esc(tm.silence)}</span>` : "");
    const vote = tm.next_vote ? `<span class="tag">${hours(tm.hours_to_vote)} to ${esc(tm.next_vote)}</span>` : "";
    // The coordinated groups in the incident: the network that passed the dump round.
    const nets = (l.evidence || []).filter((e) => e.startsWith("group:"))
      .map((e) => (s.groups || []).find((g) => "group:" + g.id === e)).filter(Boolean)
      .map((g) => `<span class="tag">amplified by ${g.accounts.length} coordinated accounts</span>`).join("")
      + aboutTag(l);
    return `<tr><td class="obj">${esc(l.object)}<div class="muted">${esc((l.evidence || []).filter((e) => !e.startsWith("group:")).slice(0, 3).join(", "))}</div>${nets}</td>
      <td>${fmtTime(l.start || l.onset)}</td><td>${where}${vote}</td><td class="num">${(tm.score ?? 0).toFixed(2)}</td></tr>`;
  }).join("");
  const bursts = s.bursts || [];
  $("bursts-shown").textContent = bursts.length < c.bursts ? `(${bursts.length} of ${c.bursts}: the strongest, and those of leak incidents and alerts)` : "";
  $("bursts").tBodies[0].innerHTML = bursts.map((b) =>
    `<tr><td class="obj">${esc(b.object)}${aboutTag(b)}${b.learning ? '<span class="tag" title="its baseline had not seen a whole day yet: alert rules skip it">baseline learning</span>' : ""}</td><td>${fmtTime(b.onset)}</td><td class="num">${b.count}</td>
     <td class="num">${b.baseline > 0 ? (b.count / b.baseline).toFixed(1) : "—"}</td><td class="num">${b.score.toFixed(1)}</td></tr>`).join("");
  $("groups").innerHTML = (s.groups || []).slice(0, 20).map((g) =>
    `<div class="group"><b>${g.accounts.length} accounts</b> <span class="muted">${fmtTime(g.first)} → ${fmtTime(g.last)}</span>
     ${(g.object_kinds || []).map((k) => `<span class="tag">${esc(k)}</span>`).join("")}${aboutTag(g)}
     <div class="muted">first movers: ${esc(firstMovers(g).slice(0, 5).join(", "))}</div>
     <div class="obj muted">${esc((g.objects || []).slice(0, 3).join("  "))}</div>
     ${g.evidence_first ? `<div><span class="tag">passed a dump round ${fmtTime(g.evidence_first)} → ${fmtTime(g.evidence_last)}</span> <span class="muted">${esc(g.evidence.slice(0, 3).join(", "))}</span></div>` : ""}</div>`).join("") || '<p class="muted">none yet</p>';
  const alerts = s.alerts || [];
  $("alerts-shown").textContent = alerts.length ? "(" + severities.map((v) => [alerts.filter((a) => a.severity === v).length, v])
    .filter(([n]) => n > 0).map(([n, v]) => n + " " + v).join(", ") + (alerts.length < c.alerts ? `; ${alerts.length} of ${c.alerts} listed` : "") + "; newest first)" : "";
  $("alerts").innerHTML = alerts.map((a) =>
    `<li class="sev-${esc(a.severity)}">${/^https?:\/\//.test(a.link || "") ? `<a href="${esc(a.link)}" target="_blank" rel="noopener">${esc(a.summary)}</a>` : esc(a.summary)} <span class="muted">${fmtTime(a.starts_at)}</span></li>`).join("");
}

function chart(s) {
  const svg = $("volume"), W = 1200, H = 300, padB = 26, padT = 8;
  const series = s.series || [];
  let t0 = Infinity, t1 = -Infinity, vmax = 1;
  // Candidates share the scale; the whole stream ("all") has its own, drawn faint behind them.
  let amax = 1;
  for (const ser of series) for (const [t, v] of ser.points) { t0 = Math.min(t0, t); t1 = Math.max(t1, t); if (ser.name === "all") amax = Math.max(amax, v); else vmax = Math.max(vmax, v); }
  if (!isFinite(t0)) { svg.innerHTML = ""; return; }
  t1 = Math.max(t1 + s.bucket_s, t0 + 3600);
  const x = (t) => ((t - t0) / (t1 - t0)) * W;
  const y = (v) => H - padB - (v / vmax) * (H - padB - padT);
  let out = "";
  for (const ev of (s.calendar && s.calendar.events) || []) {
    const a = Date.parse(ev.start) / 1000, b = Date.parse(ev.end) / 1000;
    if (b < t0 || a > t1) continue;
    if (ev.kind === "silence") out += `<rect x="${x(Math.max(a, t0))}" y="0" width="${Math.max(2, x(Math.min(b, t1)) - x(Math.max(a, t0)))}" height="${H - padB}" fill="#ff5c5c" opacity="0.12"><title>${esc(ev.title)}</title></rect>`;
    else if (ev.kind === "vote" || ev.kind === "debate") out += `<line x1="${x(a)}" x2="${x(a)}" y1="0" y2="${H - padB}" stroke="#8894a0" stroke-dasharray="4 3"><title>${esc(ev.title)}</title></line><text x="${x(a) + 3}" y="12" fill="#8894a0" font-size="11">${esc(ev.id)}</text>`;
  }
  // Time ticks (UTC) at a step fitting the window: hours within a day, with the date at
  // midnight; dates beyond. Only midnights were marked, so a day's window had no labels.
  const step = tickSteps.find((st) => (t1 - t0) / st <= 10) || tickSteps[tickSteps.length - 1];
  for (let d = Math.ceil(t0 / step) * step; d < t1; d += step) {
    const iso = new Date(d * 1000).toISOString();
    const label = step >= 86400 || d % 86400 === 0 ? iso.slice(5, 10) : iso.slice(11, 16);
    out += `<line x1="${x(d)}" x2="${x(d)}" y1="${H - padB}" y2="${H - padB + 5}" stroke="#8894a0"/><text x="${x(d) + 2}" y="${H - 8}" fill="#8894a0" font-size="11">${label}</text>`;
  }
  const all = series.find((ser) => ser.name === "all");
  const named = series.filter((ser) => ser.name !== "all");
  if (all) {
    const ya = (v) => H - padB - (v / amax) * (H - padB - padT);
    const pts = all.points.map(([t, v]) => `${x(t).toFixed(1)},${ya(v).toFixed(1)}`).join(" ");
    out += `<polyline points="${pts}" fill="none" stroke="#8894a0" stroke-opacity="${named.length ? 0.35 : 0.9}" stroke-width="1"><title>all posts (own scale)</title></polyline>`;
  }
  named.forEach((ser, i) => {
    const pts = ser.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    const st = lineStyle(i);
    out += `<polyline points="${pts}" fill="none" stroke="${st.color}" stroke-width="1.5"${st.dash ? ` stroke-dasharray="${st.dash}"` : ""}><title>${esc(ser.name)}</title></polyline>`;
  });
  for (const l of s.leaks || []) {
    const t = Date.parse(l.start || l.onset) / 1000;
    out += `<line x1="${x(t)}" x2="${x(t)}" y1="0" y2="${H - padB}" stroke="#ff5c5c" stroke-width="2"><title>leak ${esc(l.object)}</title></line>`;
  }
  svg.innerHTML = out;
  $("legend").innerHTML = named.map((ser, i) => {
    const st = lineStyle(i);
    return `<span><svg width="18" height="6"><line x1="0" x2="18" y1="3" y2="3" stroke="${st.color}" stroke-width="2"${st.dash ? ` stroke-dasharray="${st.dash}"` : ""}/></svg>${esc(ser.name)}</span>`;
  }).join("")
    + (all ? `<span><i style="background:#8894a0"></i>all posts (own scale)</span>` : "");
}

function connect() {
  const es = new EventSource("api/events");
  es.addEventListener("state", (e) => { $("conn").textContent = "live"; $("conn").className = "conn live"; render(JSON.parse(e.data)); });
  es.onerror = () => { $("conn").textContent = "reconnecting…"; $("conn").className = "conn"; };
}
// The server inlines the state of the moment: draw it before anything else loads.
const initial = document.getElementById("initial-state");
if (initial) render(JSON.parse(initial.textContent));
connect();
