// awsgate console: live inbox (server-sent events), and a ticking "time left". The pages work
// without it; it only saves reloading.
"use strict";

function left(expires) {
  const s = Math.floor((Date.parse(expires) - Date.now()) / 1000);
  if (!(s > 0)) return "expired";
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${s}s`;
}

function tick() {
  for (const el of document.querySelectorAll("[data-expires]")) {
    const text = `${left(el.dataset.expires)} (until ${el.dataset.expires})`;
    if (el.textContent !== text) el.textContent = text;
  }
}

function live(section) {
  let busy = false;
  const refresh = async () => {
    if (busy) return;
    busy = true;
    try {
      const typing = section.contains(document.activeElement) && document.activeElement.value;
      if (typing) return; // do not wipe a reason being written; the next event refreshes
      const answer = await fetch(section.dataset.items, { credentials: "same-origin" });
      if (answer.ok) section.innerHTML = await answer.text();
      else if (answer.status === 401 || answer.status === 303) window.location.assign("/login");
    } finally {
      busy = false;
    }
  };
  const events = new EventSource(section.dataset.live);
  events.addEventListener("changed", refresh);
  events.addEventListener("signed-out", () => window.location.assign("/login"));
}

document.addEventListener("DOMContentLoaded", () => {
  const section = document.querySelector("[data-live]");
  if (section) live(section);
  tick();
  setInterval(tick, 1000);
});
