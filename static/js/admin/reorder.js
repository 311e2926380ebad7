/* Drag-and-drop and keyboard ordering for admin inlines whose fieldset has the class
 * "reorderable" (authors, topics, references, related items, an issue's articles).
 *
 * Each row gets a handle: drag it with the mouse, or focus it and press the up/down
 * arrow keys. A "Reorder" button under the inline's heading takes the focus to the first
 * handle (no tabbing through every field), and each move is announced in a live region.
 * After a move the rows' "position" inputs are renumbered 1, 2, 3… in the
 * order shown, so the server stores positions exactly as before. Rows nobody filled in
 * are left alone (numbering them would make Django validate an empty row). Nothing is
 * renumbered until the editor moves a row: numbers typed by hand are kept.
 * No inline script or style: it runs under the admin's Content-Security-Policy.
 */
(function () {
  "use strict";

  const ROW = "tr.form-row, div.inline-related";

  function rows(group) {
    return Array.from(group.querySelectorAll(ROW)).filter(
      (row) => !row.classList.contains("empty-form") && row.id && !row.id.endsWith("-empty")
    );
  }

  function positionInput(row) {
    return row.querySelector('input[name$="-position"]');
  }

  function isFilled(row) {
    if (row.classList.contains("has_original")) return true;
    return Array.from(row.querySelectorAll("input, select, textarea")).some((field) => {
      const name = field.name || "";
      if (!name || /-(position|DELETE|id|article|issue)$/.test(name)) return false;
      if (field.type === "checkbox" || field.type === "hidden") return false;
      return field.value.trim() !== "";
    });
  }

  function label(row) {
    const select = row.querySelector("select");
    if (select && select.selectedOptions.length && select.value) {
      return select.selectedOptions[0].textContent.trim();
    }
    const text = row.querySelector("textarea, td.original p, td.field-title");
    return text ? (text.value || text.textContent).trim().slice(0, 60) : "";
  }

  function renumber(group) {
    let n = 0;
    for (const row of rows(group)) {
      const input = positionInput(row);
      if (input && isFilled(row)) {
        n += 1;
        input.value = String(n);
      }
    }
  }

  function announce(group, text) {
    const status = group.querySelector(".reorder-status");
    if (status) status.textContent = text;
  }

  function moved(group, row) {
    group.dataset.reordered = "true";
    renumber(group);
    // Count the rows an editor filled in: the blank row for a new entry is not one of them.
    const all = rows(group);
    const filled = all.filter(isFilled);
    const counted = filled.includes(row) ? filled : all;
    const name = label(row);
    const where = `moved to ${counted.indexOf(row) + 1} of ${counted.length}.`;
    announce(group, `${name ? name + ": " : ""}${where}`);
  }

  function move(group, row, step) {
    const all = rows(group);
    const index = all.indexOf(row);
    const target = all[index + step];
    if (!target) return;
    if (step < 0) target.before(row);
    else target.after(row);
    moved(group, row);
  }

  let dragged = null;

  function addHandle(group, row) {
    if (!positionInput(row) || row.querySelector(".reorder-handle")) return;
    const handle = document.createElement("button");
    handle.type = "button";
    handle.className = "reorder-handle";
    handle.textContent = "⠿";
    handle.setAttribute("aria-label", "Move this row (drag, or use the up and down arrow keys)");
    handle.draggable = true;
    const cell = row.querySelector("td.original") || row.querySelector("h3") || row.firstElementChild;
    cell.prepend(handle);

    handle.addEventListener("keydown", (event) => {
      if (event.key === "ArrowUp" || event.key === "ArrowDown") {
        event.preventDefault();
        move(group, row, event.key === "ArrowUp" ? -1 : 1);
        handle.focus();
      }
    });
    handle.addEventListener("dragstart", (event) => {
      dragged = row;
      row.classList.add("reorder-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", row.id);
    });
    handle.addEventListener("dragend", () => {
      row.classList.remove("reorder-dragging");
      dragged = null;
    });
    row.addEventListener("dragover", (event) => {
      if (!dragged || dragged === row || !group.contains(dragged)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
    });
    row.addEventListener("drop", (event) => {
      if (!dragged || dragged === row || !group.contains(dragged)) return;
      event.preventDefault();
      const all = rows(group);
      if (all.indexOf(dragged) < all.indexOf(row)) row.after(dragged);
      else row.before(dragged);
      moved(group, dragged);
    });
  }

  function setUp(group) {
    if (group.dataset.reorderReady) return;
    group.dataset.reorderReady = "true";
    const status = document.createElement("p");
    status.className = "reorder-status help";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    const start = document.createElement("button");
    start.type = "button";
    start.className = "button reorder-start";
    start.textContent = "Reorder";
    start.addEventListener("click", () => {
      const handle = group.querySelector(".reorder-handle");
      if (handle) {
        handle.focus();
        announce(group, "The up and down arrow keys move this row.");
      }
    });
    const heading = group.querySelector("h2");
    (heading || group).after(start, status);
    for (const row of rows(group)) addHandle(group, row);
    const form = group.closest("form");
    if (form) {
      form.addEventListener("submit", () => {
        // Rows filled in after the last move get their number too.
        if (group.dataset.reordered) renumber(group);
      });
    }
  }

  function init() {
    document.querySelectorAll("fieldset.reorderable").forEach(setUp);
  }

  document.addEventListener("formset:added", (event) => {
    const group = event.target.closest(".inline-group");
    const fieldset = group && group.querySelector("fieldset.reorderable");
    if (fieldset) addHandle(fieldset, event.target);
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
