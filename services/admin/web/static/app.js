// The console's only script: a few data-attributes, no framework.
//
// <button data-post="/api/..." data-body='{"k": "v"}' data-confirm="Sure?"
//         data-result="#out" data-reload>  POST JSON, show the answer's
//         "message" (or "error") in #out, then refresh the live parts.
// <form data-json="/api/..." data-result="#out">  the same with the form's
//         fields as the JSON body (checkboxes named "ids" become a list;
//         data-lists="a b" makes fields named a and b lists too).
// <section id="x" data-live="3">  re-fetched from the same page every 3 s
//         and replaced, so progress and outcomes update without a reload.
//         data-live="0": replaced only after an action with data-reload.
// <button type="submit" data-json="/api/other" data-confirm="Sure?"
//         data-result="#out" data-reload>  inside a form[data-json]: sends
//         the form's fields to its own URL (one form, several actions).
// data-select-all inside a form ticks the boxes of that form only.
"use strict";

async function callApi(method, url, body) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let answer = {};
  try { answer = await response.json(); } catch (e) { answer = {}; }
  if (!response.ok) {
    throw new Error(answer.error || `${response.status} ${response.statusText}`);
  }
  return answer;
}

// state: "busy" (asked, no answer yet), "ok" or "error": a page or a test
// waiting for ".ok" never mistakes the "working…" note for the answer.
function show(selector, text, state) {
  const target = selector ? document.querySelector(selector) : null;
  if (!target) return;
  target.textContent = text;
  target.classList.toggle("busy", state === "busy");
  target.classList.toggle("error", state === "error");
  target.classList.toggle("ok", state === "ok");
}

async function refreshLive() {
  const live = document.querySelectorAll("[data-live]");
  if (!live.length) return;
  const response = await fetch(location.href, { credentials: "same-origin" });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  for (const element of live) {
    const replacement = element.id && fresh.getElementById(element.id);
    if (replacement) element.replaceWith(replacement);
  }
}

function formBody(form) {
  const body = {};
  const lists = new Set(["ids", ...(form.dataset.lists || "").split(/\s+/)]);
  for (const [name, value] of new FormData(form).entries()) {
    if (lists.has(name)) {
      (body[name] = body[name] || []).push(value);
    } else if (value !== "") {
      body[name] = value;
    }
  }
  return body;
}

async function act(element, method, url, body) {
  if (element.dataset.confirm && !window.confirm(element.dataset.confirm)) return;
  element.setAttribute("aria-busy", "true");
  if ("disabled" in element) element.disabled = true;
  show(element.dataset.result, "working…", "busy");
  try {
    const answer = await callApi(method, url, body);
    show(element.dataset.result, answer.message || "done", "ok");
    if (element.dataset.reload !== undefined) await refreshLive();
  } catch (error) {
    show(element.dataset.result, error.message, "error");
  } finally {
    element.removeAttribute("aria-busy");
    if ("disabled" in element) element.disabled = false;
  }
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-post]");
  if (!button) return;
  event.preventDefault();
  const body = button.dataset.body ? JSON.parse(button.dataset.body) : {};
  act(button, "POST", button.dataset.post, body);
});

document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-json]");
  if (!form) return;
  event.preventDefault();
  const button = event.submitter;
  if (button && button.dataset.json) {  // this button's own action
    act(button, "POST", button.dataset.json, formBody(form));
    return;
  }
  act(form, form.dataset.method || "POST", form.dataset.json, formBody(form));
});

document.addEventListener("change", (event) => {
  // "select all" checkboxes: data-select-all="name of the checkboxes"
  const all = event.target.closest("[data-select-all]");
  if (!all) return;
  const scope = all.form || document;
  for (const box of scope.querySelectorAll(`input[name="${all.dataset.selectAll}"]`)) {
    box.checked = all.checked;
  }
});

window.addEventListener("load", () => {
  const periods = [...document.querySelectorAll("[data-live]")]
    .map((element) => Number(element.dataset.live) || 0)
    .filter((seconds) => seconds > 0);
  if (periods.length) setInterval(refreshLive, Math.min(...periods) * 1000);
});
