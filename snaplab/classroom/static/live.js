// snaplab class serve: draws the class (or one learner) from /events and keeps it current.
// The first message of every connection is the whole state; later ones carry changed rows.
// No library, no CDN: the page works offline. MIT, as snaplab.
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("live-config").textContent);
  const t = config.labels;
  const conn = document.getElementById("conn");
  let rows = new Map(), order = [], steps = [], funnel = [], learner = null, sortKey = "help";
  let sortDesc = false;

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v; else e.setAttribute(k, v);
    }
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(k ?? ""));
    return e;
  }
  function since(iso) {
    if (!iso) return "";
    let s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60); s = s % 60;
    const [uh, um, us] = config.lang === "ko" ? ["시간", "분", "초"] : ["h", "m", "s"];
    const p2 = (n) => String(n).padStart(2, "0");
    const mm = h ? `${h}${uh} ${p2(m)}${um}` : `${m}${um} ${p2(s)}${us}`;
    return `${mm} ${t.ago}`;
  }
  function duration(iso) { return iso ? since(iso).replace(` ${t.ago}`, "") : ""; }
  function clock(iso) { return iso ? new Date(iso).toLocaleTimeString(config.lang) : ""; }
  function stuck(r) { return r.stuck || r.behind || (r.stuck_at && Date.now() >= Date.parse(r.stuck_at)); }

  function needsHelp(a, b) {
    const k = (r) => [stuck(r) ? 0 : 1, r.state === "graded" ? 1 : 0, r.complete ? 1 : 0, r.done,
                      r.on_step_since || "~"];
    const ka = k(a), kb = k(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    return 0;
  }
  function sorted() {
    const list = order.map((id) => rows.get(id));
    if (sortKey === "help") return list.sort(needsHelp);
    if (sortKey === "roster") return list;
    const dir = sortDesc ? -1 : 1;
    return list.sort((a, b) => {
      const x = a[sortKey] ?? "", y = b[sortKey] ?? "";
      return x < y ? -dir : x > y ? dir : 0;
    });
  }
  function drawRow(r) {
    const cls = [r.state];
    if (stuck(r)) cls.push("stuck");
    if (r.complete) cls.push("complete");
    let status = r.state_label;
    if (r.state === "graded") status = r.complete ? t.complete : stuck(r) ? (r.behind ? t.behind : t.stuck) : "";
    const step = r.complete ? t.complete : r.step ? `${r.step}. ${r.step_title}` : "";
    const tr = el("tr", { class: cls.join(" "), "data-id": r.id, "data-version": r.version },
      el("td", {}, el("a", { href: `/learner/${encodeURIComponent(r.id)}` }, r.name)),
      el("td", {}, r.id), el("td", {}, r.daemon),
      el("td", { class: "num score" }, r.score || "—"),
      el("td", { class: "step" }, step),
      el("td", { class: "on-step" }, duration(r.on_step_since)),
      el("td", { class: "last" }, since(r.last_activity)),
      el("td", { class: "status" }, status,
        r.reason ? el("div", { class: "reason", title: r.reason }, r.reason) : ""));
    return tr;
  }
  function drawClass() {
    const body = document.querySelector("#class tbody");
    body.replaceChildren(...sorted().map(drawRow));
    const f = document.getElementById("funnel"), fl = document.getElementById("funnel-labels");
    const n = Math.max(1, order.length);
    f.replaceChildren(...funnel.map((c, i) => el("div", { style: `height:${Math.max(12, 90 * c / n)}px`,
      title: steps[i] ? steps[i].title : "" }, String(c))));
    fl.replaceChildren(...funnel.map((c, i) => el("span", {}, String(i + 1))));
    const stuckN = order.filter((id) => stuck(rows.get(id))).length;
    document.getElementById("summary").textContent =
      `${order.length}${config.lang === "ko" ? "" : " "}${t.learners} · ${t.stuck} ${stuckN}`;
  }
  function drawLearner() {
    const l = learner;
    const body = document.querySelector("#checklist tbody");
    body.replaceChildren(...l.checklist.map((s) => {
      const mark = { pass: "✓", fail: "✗", pending: "·" }[s.status] || "";
      return el("tr", { class: s.status, "data-step": s.id },
        el("td", {}, String(s.n)),
        el("td", {}, `${mark} ${s.title}`, s.message ? el("div", { class: "reason" }, s.message) : "",
          s.hint ? el("div", { class: "hint" }, `${t.hint}: ${s.hint}`) : ""),
        el("td", { class: "num" }, s.points === null ? "" : `${s.points}/${s.max_points}`),
        el("td", { class: s.status }, t[s.status] || ""),
        el("td", {}, clock(s.proven)));
    }));
    document.getElementById("notes").replaceChildren(...(l.notes || []).map((n) => el("p", { class: "reason" }, `! ${n}`)));
    const tl = document.getElementById("timeline");
    tl.replaceChildren(...(l.timeline.length ? l.timeline.map((e) =>
      el("li", {}, el("time", { datetime: e.t }, clock(e.t)), e.what)) : [el("li", {}, t.none_yet)]));
    const parts = [l.score || l.state_label, l.reason,
      l.began ? `${t.began} ${clock(l.began)}` : "", l.last_activity ? `${t.last} ${since(l.last_activity)}` : ""];
    document.getElementById("summary").textContent = parts.filter(Boolean).join(" · ");
  }
  function draw() { if (config.mode === "learner") { if (learner) drawLearner(); } else drawClass(); }

  function connect() {
    const q = new URLSearchParams({ lang: config.lang });
    if (config.mode === "learner") q.set("learner", config.learner);
    const es = new EventSource(`/events?${q}`);
    es.onopen = () => { conn.textContent = conn.dataset.live; conn.className = ""; };
    es.onerror = () => { conn.textContent = conn.dataset.off; conn.className = "off"; };
    es.addEventListener("state", (m) => {
      const s = JSON.parse(m.data);
      steps = s.steps; funnel = s.funnel; rows = new Map(); order = [];
      for (const x of s.learners) { rows.set(x.live.id, x.live); order.push(x.live.id); }
      draw();
    });
    es.addEventListener("rows", (m) => {
      const s = JSON.parse(m.data);
      for (const r of s.rows) rows.set(r.id, r);
      funnel = s.funnel;
      draw();
    });
    es.addEventListener("learner", (m) => { learner = JSON.parse(m.data); draw(); });
  }

  document.querySelectorAll("input[name=sort]").forEach((i) =>
    i.addEventListener("change", () => { sortKey = i.value; draw(); }));
  document.querySelectorAll("#class th[data-key]").forEach((th) =>
    th.addEventListener("click", () => {
      sortDesc = sortKey === th.dataset.key ? !sortDesc : false;
      sortKey = th.dataset.key;
      document.querySelectorAll("input[name=sort]").forEach((i) => { i.checked = false; });
      draw();
    }));
  setInterval(draw, 1000); // the clocks (time on step, last activity) and the stuck timer
  connect();
})();
