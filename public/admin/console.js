// The admin console: plain JavaScript, no framework, no build step, nothing from a CDN (docs/admin.md
// says why). Every figure comes from the admin API (/v1/admin); data is only ever put on the page
// with textContent, never as HTML.
"use strict";

const KEY = "edge-phone-auth.adminKey";
const $ = (id) => document.getElementById(id);
let current = null; // { userId, phone } of the last lookup

async function api(method, path, body) {
  const headers = { Accept: "application/json", "Accept-Language": "en" };
  const key = sessionStorage.getItem(KEY);
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/v1/admin${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(data.error ? `${data.error.code}: ${data.error.message}` : `HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

const time = (iso) => (iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "—");

function fill(dl, rows) {
  dl.replaceChildren();
  for (const [label, value, cls] of rows) {
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    dd.textContent = String(value);
    if (cls) dd.className = cls;
    dd.id = `f-${label.replace(/\W+/g, "-")}`;
    dl.append(dt, dd);
  }
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) {
    const td = document.createElement("td");
    if (cell instanceof Node) td.append(cell);
    else td.textContent = String(cell ?? "—");
    tr.append(td);
  }
  return tr;
}

function showUser(user) {
  $("user-box").hidden = false;
  if (!user) {
    fill($("user"), [["account", "none: this number has no account"]]);
    for (const id of ["ban", "unban", "end-sessions", "ban-reason"]) $(id).hidden = true;
    return;
  }
  fill($("user"), [
    ["id", user.user.id],
    ["phone", user.user.phone ?? "—"],
    ["nickname", user.user.nickname ?? "—"],
    ["created", time(user.user.createdAt)],
    ["sign-in methods", user.identities.map((i) => i.provider).join(", ") || "—"],
    ["live sessions", user.liveSessions],
    ["banned", user.banned ? `since ${time(user.banned.at)}: ${user.banned.reason}` : "no", user.banned ? "bad" : "good"],
  ]);
  $("ban").hidden = $("ban-reason").hidden = Boolean(user.banned);
  $("unban").hidden = !user.banned;
  $("end-sessions").hidden = false;
}

function showPhone(state) {
  $("phone-box").hidden = !state;
  if (!state) return;
  const locked = state.lockedUntil !== null;
  fill($("phone"), [
    ["phone", state.phone],
    ["lock", locked ? `locked until ${time(state.lockedUntil)}` : "not locked", locked ? "bad" : "good"],
    ["failed guesses", state.failedGuesses],
    ["sends in 24 h", state.sendsLast24h],
    ["cooldown left", `${state.cooldownSeconds} s`],
    ["password failures", `${state.passwordFailures}${state.passwordLocked ? " (locked)" : ""}`, state.passwordLocked ? "bad" : undefined],
    ["range", `${state.range.range}: ${state.range.sends} sent, ${state.range.verified} verified`],
    ["range block", state.range.blockedUntil ? `blocked until ${time(state.range.blockedUntil)}` : "none", state.range.blockedUntil ? "bad" : "good"],
  ]);
}

async function showAudit() {
  const query = current.userId ? `userId=${encodeURIComponent(current.userId)}` : `phone=${encodeURIComponent(current.phone)}`;
  const { entries } = await api("GET", `/audit?${query}&limit=20`);
  $("audit").tBodies[0].replaceChildren(...entries.map((e) => row([time(e.at), e.type, e.actor, e.phone, e.detail ? JSON.stringify(e.detail) : ""])));
}

async function lookup(input) {
  $("lookup-error").textContent = "";
  const isId = /^[0-9a-f-]{36}$/i.test(input);
  const data = await api("GET", isId ? `/users/${encodeURIComponent(input)}` : `/users?phone=${encodeURIComponent(input)}`);
  current = { userId: data.user?.user.id ?? null, phone: data.phoneState?.phone ?? data.user?.user.phone ?? null };
  showUser(data.user);
  showPhone(data.phoneState);
  $("result").hidden = false;
  await showAudit();
}

async function act(work) {
  $("lookup-error").textContent = "";
  try {
    await work();
    await lookup(current.userId ?? current.phone);
  } catch (error) {
    $("lookup-error").textContent = error.message;
  }
}

function chart(hours) {
  const ns = "http://www.w3.org/2000/svg";
  const width = 960;
  const height = 180;
  const max = Math.max(1, ...hours.map((h) => h.sent), ...hours.map((h) => h.verified));
  const slot = width / hours.length;
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "codes sent and verified per hour");
  hours.forEach((h, i) => {
    for (const [kind, value, offset] of [["sent", h.sent, 0], ["verified", h.verified, slot / 2]]) {
      const bar = document.createElementNS(ns, "rect");
      const barHeight = (value / max) * (height - 20);
      bar.setAttribute("class", kind);
      bar.setAttribute("x", String(i * slot + offset + 1));
      bar.setAttribute("width", String(Math.max(1, slot / 2 - 2)));
      bar.setAttribute("y", String(height - barHeight));
      bar.setAttribute("height", String(barHeight));
      bar.dataset.hour = h.hour;
      bar.dataset.value = String(value);
      const title = document.createElementNS(ns, "title");
      title.textContent = `${time(h.hour)}: ${value} ${kind}`;
      bar.append(title);
      svg.append(bar);
    }
  });
  const label = document.createElementNS(ns, "text");
  label.setAttribute("x", "4");
  label.setAttribute("y", "14");
  label.setAttribute("font-size", "12");
  label.textContent = `max ${max} / hour`;
  svg.append(label);
  $("chart").replaceChildren(svg);
}

async function refreshOverview() {
  const [budget, hourly, blocked] = await Promise.all([api("GET", "/budget"), api("GET", "/stats/hourly?hours=48"), api("GET", "/ranges/blocked")]);
  $("budget").textContent = `SMS budget ${budget.day}: ${budget.spent} of ${budget.budget} spent, ${budget.left} left.`;
  chart(hourly.hours);
  $("ranges-empty").hidden = blocked.ranges.length > 0;
  $("ranges").tBodies[0].replaceChildren(
    ...blocked.ranges.map((r) => {
      const button = document.createElement("button");
      button.textContent = "Lift";
      button.addEventListener("click", async () => {
        await api("DELETE", `/ranges/${encodeURIComponent(r.range)}/block`);
        await refreshOverview();
      });
      return row([r.range, time(r.blockedUntil), r.sends, r.verified, r.reason, button]);
    }),
  );
}

async function start() {
  try {
    await refreshOverview();
  } catch (error) {
    if (error.status === 401 || error.status === 429) {
      const hadKey = sessionStorage.getItem(KEY) !== null;
      sessionStorage.removeItem(KEY);
      $("app").hidden = true;
      $("signin-box").hidden = false;
      $("signin-error").textContent = hadKey ? `That key was refused (${error.message}).` : "";
      return;
    }
    throw error;
  }
  $("signin-box").hidden = true;
  $("app").hidden = false;
  $("signout").hidden = !sessionStorage.getItem(KEY);
  $("who").textContent = sessionStorage.getItem(KEY) ? "signed in with a key" : "signed in through Cloudflare Access";
}

$("signin-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, $("key").value.trim());
  $("key").value = "";
  $("signin-error").textContent = "";
  await start();
});
$("signout").addEventListener("click", () => {
  sessionStorage.removeItem(KEY);
  location.reload();
});
$("lookup-form").addEventListener("submit", (event) => {
  event.preventDefault();
  lookup($("lookup-input").value.trim()).catch((error) => ($("lookup-error").textContent = error.message));
});
$("ban").addEventListener("click", () =>
  act(() => api("POST", `/users/${current.userId}/ban`, { reason: $("ban-reason").value.trim() || "banned from the console" })),
);
$("unban").addEventListener("click", () => act(() => api("POST", `/users/${current.userId}/unban`)));
$("end-sessions").addEventListener("click", () => act(() => api("DELETE", `/users/${current.userId}/sessions`)));
$("unlock").addEventListener("click", () => act(() => api("POST", `/phones/${encodeURIComponent(current.phone)}/unlock`)));

start().catch((error) => ($("signin-error").textContent = error.message));
