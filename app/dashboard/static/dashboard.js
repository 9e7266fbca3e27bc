// The fixgw dashboard page: renders each panel the server sends over /api/stream (server-sent events), and sends
// the operator's controls (kill switch, cancel) after a confirmation with a reason. Text from the gateway (order
// texts, ClOrdIDs, reasons) is only ever set as textContent, never parsed as HTML.
"use strict";

const $ = (selector) => document.querySelector(selector);
const RATE_POINTS = 300; // the messages/s chart keeps this many reads (two minutes at 0.4 s)
const rates = [[], [], []]; // x (unix seconds), in/s, out/s: uPlot's column layout
const charts = {};
let config = { accounts: [], clients: [], who: "" };

// -- formatting ---------------------------------------------------------------------------------------------

function utc(ns, withDate) {
  if (ns === null || ns === undefined) return "";
  const iso = new Date(Number(ns) / 1e6).toISOString(); // ms precision is what a person reads
  return withDate ? iso.slice(0, 19).replace("T", " ") : iso.slice(11, 23);
}

function text(value) {
  return value === null || value === undefined ? "" : String(value);
}

function cell(row, field, value, className) {
  const td = document.createElement("td");
  td.dataset.field = field;
  td.textContent = text(value);
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

// Replace a table's body with one row per item; columns: [field, value(item), class?].
// A table with data-empty says so in a row of its own when it has no rows.
function fill(table, items, columns, keyOf, decorate) {
  const body = $(table).tBodies[0];
  if (!items.length && $(table).dataset.empty) {
    const tr = document.createElement("tr");
    tr.className = "empty";
    cell(tr, "empty", $(table).dataset.empty).colSpan = columns.length;
    body.replaceChildren(tr);
    return;
  }
  const rows = items.map((item) => {
    const tr = document.createElement("tr");
    if (keyOf) tr.dataset.key = keyOf(item);
    for (const [field, value, className] of columns) cell(tr, field, value(item), className);
    if (decorate) decorate(tr, item);
    return tr;
  });
  body.replaceChildren(...rows);
}

function panelError(panel, error) {
  const p = document.querySelector(`#panel-${panel} .panel-error`);
  if (!p) return;
  p.hidden = !error;
  p.textContent = error ? `unavailable: ${error}` : "";
}

// -- panels ---------------------------------------------------------------------------------------------------

const RENDER = {
  config(data) {
    config = data;
    $("#who").textContent = `controls act as ${data.who}`;
    keyChoices();
  },

  sessions(data) {
    fill("#sessions", data.sessions, [
      ["session", (s) => s.session],
      ["role", (s) => s.role],
      ["state", (s) => (s.logged_on ? "logged on" : "logged out")],
      ["since", (s) => utc(s.since_ns, true)],
      ["next_sender_seq", (s) => s.next_sender_seq, "num"],
      ["next_target_seq", (s) => s.next_target_seq, "num"],
      ["in_per_s", (s) => s.in_per_s, "num"],
      ["out_per_s", (s) => s.out_per_s, "num"],
      ["messages_in", (s) => s.messages_in, "num"],
      ["messages_out", (s) => s.messages_out, "num"],
      ["last_heartbeat", (s) => utc(s.last_heartbeat_ns)],
    ], (s) => s.session, (tr, s) => tr.classList.add(s.logged_on ? "up" : "down"));
    const sum = (key) => data.sessions.reduce((total, s) => total + (s[key] || 0), 0);
    rates[0].push(Date.now() / 1000);
    rates[1].push(sum("in_per_s"));
    rates[2].push(sum("out_per_s"));
    if (rates[0].length > RATE_POINTS) rates.forEach((column) => column.shift());
    chart("rate", "#rate-chart", () => ({
      series: [{}, { label: "in/s", stroke: "#2b7bb9" }, { label: "out/s", stroke: "#c2571a" }],
      axes: [{ space: 90, values: (_, ticks) => ticks.map((t) => new Date(t * 1000).toISOString().slice(11, 19)) },
        { label: "messages/s" }],
    }), rates);
  },

  health(data) {
    const badge = $("#health");
    badge.textContent = `health ${data.status}`;
    badge.className = `badge ${data.status === "ok" ? "up" : "down"}`;
    fill("#venues", Object.entries(data.venues), [
      ["venue", ([name]) => name],
      ["state", ([, up]) => (up ? "logged on" : "down")],
    ], ([name]) => name, (tr, [, up]) => tr.classList.add(up ? "up" : "down"));
    fill("#journal", Object.entries(data.journal), [
      ["name", ([k]) => k.replace(/_ns$/, "")],
      ["value", ([k, v]) => (k.endsWith("_ns") ? utc(v, true) : v)],
    ]);
  },

  orders(data) {
    $("#working-count").textContent = `${data.working} working, newest first`;
    fill("#orders", data.orders, [
      ["created", (o) => utc(o.created_ns)],
      ["order_id", (o) => o.order_id],
      ["cl_ord_id", (o) => o.cl_ord_id],
      ["account", (o) => o.account],
      ["symbol", (o) => o.symbol],
      ["side", (o) => o.side],
      ["order_qty", (o) => o.order_qty, "num"],
      ["price", (o) => o.price || "MKT", "num"],
      ["status", (o) => o.status],
      ["cum_qty", (o) => o.cum_qty, "num"],
      ["leaves_qty", (o) => o.leaves_qty, "num"],
      ["avg_px", (o) => o.avg_px, "num"],
      ["venue", (o) => o.venue],
      ["text", (o) => o.text, "text"],
    ], (o) => o.order_id, (tr, o) => {
      tr.dataset.clOrdId = o.cl_ord_id;
      tr.classList.add(`status-${o.status.toLowerCase()}`);
      const td = cell(tr, "action", "");
      if (o.working) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = "Cancel";
        button.className = "cancel";
        button.addEventListener("click", () => confirmThen(
          `Cancel order ${o.order_id} (${o.cl_ord_id}: ${o.side} ${o.leaves_qty} ${o.symbol} left)?`,
          (reason) => send(`/api/orders/${encodeURIComponent(o.order_id)}/cancel`, { reason }),
        ));
        td.appendChild(button);
      }
    });
  },

  fills(data) {
    fill("#fills", data.fills, [
      ["time", (f) => utc(f.ts_ns)],
      ["exec_id", (f) => f.exec_id],
      ["order_id", (f) => f.order_id],
      ["account", (f) => f.account],
      ["symbol", (f) => f.symbol],
      ["side", (f) => f.side],
      ["last_qty", (f) => f.last_qty, "num"],
      ["last_px", (f) => f.last_px, "num"],
      ["venue", (f) => f.venue],
    ], (f) => f.exec_id);
  },

  positions(data) {
    fill("#positions", data.positions, [
      ["account", (p) => p.account],
      ["symbol", (p) => p.symbol],
      ["qty", (p) => p.qty, "num"],
      ["avg_cost", (p) => p.avg_cost, "num"],
      ["mark", (p) => (p.mark === null ? "" : `${p.mark_source} ${p.mark}`), "num"],
      ["realized_pnl", (p) => p.realized_pnl, "num"],
      ["unrealized_pnl", (p) => p.unrealized_pnl, "num"],
    ], (p) => `${p.account} ${p.symbol}`);
    fill("#account-pnl", data.accounts, [
      ["account", (a) => a.account],
      ["realized_pnl", (a) => a.realized_pnl, "num"],
      ["unrealized_pnl", (a) => a.unrealized_pnl, "num"],
      ["total_pnl", (a) => a.total_pnl, "num"],
    ], (a) => a.account);
  },

  risk(data) {
    $("#trading-day").textContent = `trading day since ${data.trading_day_start}`;
    fill("#usage", data.usage, [
      ["account", (u) => u.account],
      ["symbol", (u) => u.symbol],
      ["limit", (u) => u.limit],
      ["used", (u) => u.used, "num"],
      ["value", (u) => u.value, "num"],
      ["pct", (u) => `${u.pct}%`],
    ], (u) => `${u.account} ${u.symbol} ${u.limit}`, (tr, u) => {
      const bar = document.createElement("span");
      bar.className = `bar ${u.pct >= 90 ? "hot" : u.pct >= 70 ? "warm" : ""}`;
      bar.style.width = `${Math.min(100, u.pct)}%`;
      tr.lastChild.prepend(bar);
    });
    fill("#portfolio", data.portfolio, [
      ["account", (b) => b.account], ["gross", (b) => b.gross, "num"], ["net", (b) => b.net, "num"],
      ["long", (b) => b.long, "num"], ["short", (b) => b.short, "num"], ["var", (b) => b.var, "num"],
    ], (b) => b.account);
    fill("#controls", data.controls, [
      ["kind", (c) => c.kind], ["scope", (c) => c.scope], ["key", (c) => c.key], ["value", (c) => c.value],
      ["who", (c) => c.who], ["reason", (c) => c.reason],
    ], (c) => `${c.kind} ${c.scope} ${c.key}`);
    $("#denials-total").textContent = `${data.denials.total} since the gateway started`;
    fill("#denials", data.denials.by_check, [["check", (d) => d.check], ["count", (d) => d.count, "num"]],
      (d) => d.check);
    fill("#audit", data.audit, [
      ["time", (a) => utc(a.ts_ns, true)], ["kind", (a) => a.kind], ["scope", (a) => a.scope],
      ["key", (a) => a.key], ["value", (a) => a.value], ["who", (a) => a.who], ["reason", (a) => a.reason],
    ]);
  },

  latency(data) {
    $("#latency-window").textContent = `over each hop's ${data.recent} newest samples`;
    fill("#hops", data.hops, [
      ["hop", (h) => h.hop],
      ["count", (h) => h.count, "num"],
      ["p50", (h) => h.p50, "num"],
      ["p99", (h) => h.p99, "num"],
      ["max", (h) => h.max, "num"],
    ], (h) => h.hop);
    const hops = Object.keys(data.histogram);
    if (!hops.length) return;
    const edges = data.edges_us;
    const columns = [edges.map((_, i) => i).concat([edges.length]), ...hops.map((h) => data.histogram[h])];
    const label = (i) => (i < edges.length ? `≤${edges[i] >= 1000 ? `${edges[i] / 1000}ms` : `${edges[i]}µs`}` : "more");
    const palette = ["#2b7bb9", "#c2571a", "#3a9d5d", "#8e44ad", "#b8860b", "#c0392b", "#16a085", "#7f8c8d"];
    chart(`histogram ${hops.join(",")}`, "#histogram-chart", () => ({
      scales: { x: { time: false } },
      series: [{ label: "bucket", value: (_, i) => (i === null ? "" : label(i)) }, ...hops.map((hop, n) => ({
        label: hop, stroke: palette[n % palette.length], paths: uPlot.paths.stepped({ align: 1 }),
      }))],
      axes: [{ values: (_, ticks) => ticks.map(label), space: 40 }, { label: "samples" }],
    }), columns);
  },

  tca(data) {
    $("#tca-window").textContent = `orders booked in the last ${data.window_s / 60} minutes, quantity-weighted`;
    fill("#tca", data.venues, [
      ["venue", (v) => v.venue],
      ["orders", (v) => v.orders, "num"],
      ["reject_rate", (v) => v.reject_rate, "num"],
      ["fill_ratio", (v) => v.fill_ratio, "num"],
      ["slippage_bps", (v) => v.slippage_bps, "num"],
      ["is_bps", (v) => v.is_bps, "num"],
      ["markout_1s", (v) => v.markout_bps["1s"], "num"],
      ["markout_5s", (v) => v.markout_bps["5s"], "num"],
      ["markout_60s", (v) => v.markout_bps["60s"], "num"],
      ["ack_p50_ms", (v) => (v.ack_latency_ms ? v.ack_latency_ms.p50 : ""), "num"],
    ], (v) => v.venue);
  },

  books(data) {
    const boxes = Object.entries(data.books).map(([symbol, book]) => {
      const box = document.createElement("div");
      box.className = "book";
      box.dataset.symbol = symbol;
      const title = document.createElement("h3");
      const stale = Object.entries(book.venues || {}).filter(([, v]) => v.stale).map(([name]) => `${name} stale`);
      title.textContent = `${symbol}  mid ${book.mid ?? "-"}  last ${book.last_trade ?? "-"} ${stale.join(" ")}`;
      const table = document.createElement("table");
      table.innerHTML = "<thead><tr><th class='num'>Bid size</th><th class='num'>Bid</th>"
        + "<th class='num'>Ask</th><th class='num'>Ask size</th></tr></thead><tbody></tbody>";
      const depth = Math.max(book.bids.length, book.asks.length);
      for (let i = 0; i < depth; i += 1) {
        const tr = document.createElement("tr");
        const bid = book.bids[i] || {}, ask = book.asks[i] || {};
        for (const value of [bid.size, bid.price, ask.price, ask.size]) cell(tr, "level", value, "num");
        table.tBodies[0].appendChild(tr);
      }
      box.append(title, table);
      return box;
    });
    $("#books").replaceChildren(...boxes);
  },
};

// -- charts ---------------------------------------------------------------------------------------------------

function chart(kind, where, options, data) {
  const element = $(where);
  const existing = charts[where];
  if (existing && existing.kind === kind) {
    existing.plot.setData(data);
    return;
  }
  if (existing) existing.plot.destroy();
  const plot = new uPlot({ width: element.clientWidth || 400, height: 160, legend: { live: false }, ...options() },
    data, element);
  charts[where] = { kind, plot };
}

window.addEventListener("resize", () => {
  for (const [where, { plot }] of Object.entries(charts)) plot.setSize({ width: $(where).clientWidth, height: 160 });
});

// -- controls -------------------------------------------------------------------------------------------------

function keyChoices() {
  const scope = $("#kill-scope").value;
  const keys = scope === "account" ? config.accounts : scope === "session" ? config.clients : [];
  const select = $("#kill-key");
  select.hidden = scope === "global";
  select.replaceChildren(...keys.map((key) => new Option(key, key)));
}

function killSwitch(on) {
  const scope = $("#kill-scope").value;
  const key = scope === "global" ? null : $("#kill-key").value;
  const where = scope === "global" ? "the whole gateway" : `${scope} ${key}`;
  const effect = on ? "new orders are refused and working orders canceled" : "orders are taken again";
  confirmThen(`Turn the kill switch ${on ? "ON" : "OFF"} for ${where}? (${effect})`,
    (reason) => send("/api/kill", { scope, key, on, reason }));
}

// Ask, with a reason; run action(reason) only on Confirm.
function confirmThen(what, action) {
  const dialog = $("#confirm");
  $("#confirm-what").textContent = what;
  $("#confirm-reason").value = "";
  dialog.onclose = () => {
    if (dialog.returnValue === "ok") action($("#confirm-reason").value);
  };
  dialog.returnValue = "";
  dialog.showModal();
}

async function send(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    credentials: "same-origin",
  });
  const answer = await response.json().catch(() => ({}));
  const shown = $("#control-result");
  shown.hidden = false;
  shown.className = response.ok ? "ok" : "error";
  shown.textContent = response.ok ? answer.result : `refused (HTTP ${response.status}): ${answer.error || ""}`;
  if (response.status === 401) location.assign("/login");
}

// -- the live feed --------------------------------------------------------------------------------------------

function apply(panels) {
  for (const [name, data] of Object.entries(panels)) {
    if (!RENDER[name]) continue;
    panelError(name, data.error);
    if (!data.error) RENDER[name](data);
  }
  $("#updated").textContent = new Date().toISOString().slice(11, 19);
}

function connect() {
  const badge = $("#connection");
  const events = new EventSource("/api/stream");
  events.onopen = () => { badge.textContent = "live"; badge.className = "badge up"; };
  events.onmessage = (event) => apply(JSON.parse(event.data));
  events.onerror = async () => {
    badge.textContent = "reconnecting …";
    badge.className = "badge down";
    if (events.readyState !== EventSource.CLOSED) return; // the browser retries by itself
    const check = await fetch("/api/state", { credentials: "same-origin" }).catch(() => null);
    if (check && check.status === 401) location.assign("/login");
    else setTimeout(connect, 2000);
  };
}

document.addEventListener("DOMContentLoaded", () => {
  $("#kill-scope").addEventListener("change", keyChoices);
  $("#kill-on").addEventListener("click", () => killSwitch(true));
  $("#kill-off").addEventListener("click", () => killSwitch(false));
  connect();
});
