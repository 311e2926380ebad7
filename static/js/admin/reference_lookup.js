/* "Look up" beside each reference's DOI and PMID: fills the citation (AMA style), the DOI
 * and the PMID from the metadata service configured in settings. Loaded only when one is
 * configured; the URL comes from the DOI input's data-lookup-url attribute. */
(function () {
  "use strict";

  function field(row, name) {
    return row.querySelector(`[name$="-${name}"]`);
  }

  function addButton(row) {
    const doi = field(row, "doi");
    const pmid = field(row, "pmid");
    const citation = field(row, "citation");
    if (!doi || !doi.dataset.lookupUrl || !citation || row.querySelector(".reference-lookup")) {
      return;
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button reference-lookup";
    button.textContent = "Look up";
    button.setAttribute("aria-label", "Look up this reference from its DOI or PMID");
    const status = document.createElement("span");
    status.className = "help reference-lookup-status";
    status.setAttribute("role", "status");
    (pmid || doi).after(button, status);

    button.addEventListener("click", async () => {
      const query = new URLSearchParams({ doi: doi.value, pmid: pmid ? pmid.value : "" });
      status.textContent = "Looking up…";
      try {
        const response = await fetch(`${doi.dataset.lookupUrl}?${query}`, {
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        const data = await response.json();
        if (!response.ok) {
          status.textContent = data.error || "Not found.";
          return;
        }
        citation.value = data.citation;
        doi.value = data.doi || doi.value;
        if (pmid) pmid.value = data.pmid || pmid.value;
        status.textContent = "Filled in: check it against the manuscript.";
      } catch (error) {
        status.textContent = "The look-up failed; enter the reference by hand.";
      }
    });
  }

  function init() {
    document.querySelectorAll("#references-group .inline-related").forEach((row) => {
      if (!row.classList.contains("empty-form")) addButton(row);
    });
  }

  document.addEventListener("formset:added", (event) => {
    if (event.detail && event.detail.formsetName === "references") addButton(event.target);
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
