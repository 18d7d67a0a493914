// The console's only script: live refresh of the page's content, and retry/discard by fetch.
// Served as a file (the Content-Security-Policy allows no inline script). Everything it puts on
// the page comes as text (textContent), or as HTML the server rendered and escaped.
"use strict";

function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]').content;
}

function flash(text, failed) {
  const box = document.getElementById("flash");
  box.textContent = text;
  box.className = failed ? "failed shown" : "shown";
}

async function reload() {
  const response = await fetch(location.href, {headers: {"Accept": "text/html"}, credentials: "same-origin"});
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  const content = fresh.getElementById("content");
  if (content) document.getElementById("content").replaceChildren(...content.childNodes);
  document.title = fresh.title;
}

function busy() {
  // Never pull the page from under an operator who is choosing or reading.
  return document.hidden || document.querySelector("#content input:checked, #content details[open]") !== null;
}

function selection() {
  const letters = [...document.querySelectorAll("input[data-letter]:checked")].map(box => JSON.parse(box.dataset.letter));
  return letters.length ? {letters} : null;
}

async function act(button) {
  const body = "selection" in button.dataset ? selection() : JSON.parse(button.dataset.body);
  if (!body) { flash("Select some dead letters first.", true); return; }
  if (button.dataset.confirm && !confirm(button.dataset.confirm)) return;
  button.disabled = true;
  try {
    const response = await fetch("/api/dead-letters/" + button.dataset.action, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrfToken()},
      body: JSON.stringify(body)});
    const answer = await response.json().catch(() => ({error: response.statusText}));
    flash(answer.message || answer.error, !response.ok);
  } catch (error) {
    flash("The console did not answer: " + error, true);
  }
  document.querySelectorAll("input[data-letter]:checked").forEach(box => { box.checked = false; });
  await reload();
}

document.addEventListener("click", event => {
  const button = event.target.closest("button[data-action]");
  if (button) act(button);
  const all = event.target.closest("input[data-select-all]");
  if (all) all.closest("table").querySelectorAll("input[data-letter]").forEach(box => { box.checked = all.checked; });
});

document.addEventListener("DOMContentLoaded", () => {
  const seconds = Number(document.getElementById("content").dataset.refresh || 0);
  const live = seconds > 0;
  // Pages without their own refresh (dead letters) still follow what an action started.
  setInterval(() => { if (!busy()) reload(); }, (live ? seconds : 15) * 1000);
});
