// The article and issue forms: warn before leaving with unsaved changes, autosave the
// fields every few seconds of editing (articles.admin.autosave), discard on request.
function startAutosave() {
  "use strict";
  const box = document.getElementById("autosave");
  if (!box) return;
  const form = box.closest("form");
  const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  const status = box.querySelector(".autosave-status");
  const seconds = Number(box.dataset.seconds) || 30;
  let dirty = box.hasAttribute("data-restored");
  let unsaved = false;
  let submitting = false;

  function changed() {
    dirty = true;
    unsaved = true;
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("submit", function () {
    submitting = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  function fields() {
    const data = {};
    for (const [name, value] of new FormData(form)) {
      if (name === "csrfmiddlewaretoken" || typeof value !== "string") continue;
      (data[name] = data[name] || []).push(value);
    }
    return data;
  }

  async function save() {
    if (!unsaved || submitting) return;
    unsaved = false;
    try {
      const response = await fetch(box.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ data: fields() }),
      });
      const answer = await response.json();
      status.textContent = response.ok
        ? "Unsaved changes kept at " + answer.time + " (nothing is published until you save)."
        : "Not kept: " + answer.error;
    } catch (error) {
      unsaved = true;
      status.textContent = "Not kept: the server did not answer; trying again.";
    }
  }
  setInterval(save, seconds * 1000);

  const discard = box.querySelector(".autosave-discard");
  if (discard) {
    discard.addEventListener("click", async function () {
      await fetch(box.dataset.url, {
        method: "DELETE",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf },
      });
      discard.closest("p").remove();
      status.textContent = "Unsaved changes discarded.";
    });
  }
}

// Admin media load in the page head, before the form exists.
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", startAutosave);
} else {
  startAutosave();
}
