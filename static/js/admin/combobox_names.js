/* Names the admin's autocomplete boxes (select2) for screen readers. select2 labels its
 * combobox with the chosen option's text alone, which is empty until something is chosen
 * ("select-name" in axe); here the field's own name comes first: its <label>, or in a
 * tabular inline, where rows have no labels, its column heading. The chosen text inside
 * it loses select2's role "textbox" (an unnamed, read-only text box to screen readers):
 * it is read as part of the combobox's name. Boxes added later (a new
 * inline row) are named as they appear. No inline script: it runs under the admin's CSP.
 */
(function () {
  "use strict";

  function fieldName(select) {
    if (select.getAttribute("aria-label")) return select.getAttribute("aria-label");
    if (select.labels && select.labels.length) {
      return select.labels[0].textContent.trim().replace(/:$/, "");
    }
    const cell = select.closest("td");
    const table = cell && cell.closest("table");
    const heading = table && table.querySelectorAll("thead th")[cell.cellIndex];
    return heading ? heading.textContent.trim() : "";
  }

  function name(selection) {
    if (selection.dataset.named) return;
    const container = selection.closest(".select2");
    const select = container && container.previousElementSibling;
    if (!select || select.tagName !== "SELECT" || !select.id) return;
    const text = fieldName(select);
    if (!text) return;
    const label = document.createElement("span");
    label.id = `${select.id}-combobox-name`;
    label.className = "visually-hidden";
    label.textContent = text;
    selection.before(label);
    const shown = selection.getAttribute("aria-labelledby") || "";
    selection.setAttribute("aria-labelledby", `${label.id} ${shown}`.trim());
    const rendered = selection.querySelector(".select2-selection__rendered[role=textbox]");
    if (rendered) {
      rendered.removeAttribute("role");
      rendered.removeAttribute("aria-readonly");
    }
    selection.dataset.named = "true";
  }

  function nameAll(root) {
    root.querySelectorAll(".select2-selection[role=combobox]").forEach(name);
  }

  function start() {
    nameAll(document);
    new MutationObserver((changes) => {
      for (const change of changes) {
        for (const node of change.addedNodes) {
          if (node.nodeType !== Node.ELEMENT_NODE) continue;
          if (node.matches(".select2-selection[role=combobox]")) name(node);
          else nameAll(node);
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
