// Pasting into the article body: superscript citations from Word or Google Docs
// ("disease.¹", "²,³", "¹⁻³") become bracketed citations ("[1]") when every number has a
// reference row in the form. The same rule as articles/citations.py, which applies it
// again on save (with the references then in the form) and warns about the rest.
function startPasteCitations() {
  "use strict";
  const GROUP = /^\s*\[?\s*(\d{1,3}(?:\s*[-–,]\s*\d{1,3})*)\s*\]?\s*$/;
  const CITABLE_AFTER = /(?:[.,;:!?)\]”’"'%]|(?<![/\d\p{L}_])\p{L}{3,})\s?$/u;
  let redispatching = false;

  function numbers(group) {
    const found = [];
    for (const part of group.split(",")) {
      const bounds = part.split(/[-–]/).map((b) => Number(b.trim()));
      if (bounds.length === 2 && bounds[1] > bounds[0] && bounds[1] - bounds[0] <= 50) {
        for (let n = bounds[0]; n <= bounds[1]; n++) found.push(n);
      } else {
        found.push(...bounds);
      }
    }
    return found;
  }

  function referenceNumbers(form) {
    const kept = new Set();
    for (const input of form.querySelectorAll('input[name^="references-"][name$="-position"]')) {
      const row = input.name.replace(/-position$/, "");
      const deleted = form.querySelector(`input[name="${row}-DELETE"]`);
      if (input.value && !row.includes("__prefix__") && !(deleted && deleted.checked)) {
        kept.add(Number(input.value));
      }
    }
    return kept;
  }

  // Word's <sup> (with spans inside) and Google Docs' <span style="vertical-align:super">.
  // Read as text, as articles/citations.py does: parsing pasted styles in the page would
  // break its Content-Security-Policy.
  const MARK =
    /<sup\b[^>]*>((?:<span\b[^>]*>)*)([^<]*)((?:<\/span>)*)<\/sup>|<span\b[^>]*vertical-align:\s*super[^>]*>([^<]*)<\/span>/gi;

  function text(html) {
    const tags = /<[^>]*>/g;
    return html.replace(tags, "").replace(/&nbsp;/g, " ").replace(/&amp;/g, "&");
  }

  function convert(html, kept) {
    let changed = false;
    const converted = html.replace(MARK, function (whole, open, inner, close, styled, at) {
      const group = GROUP.exec(styled === undefined ? inner : styled);
      if (!group) return whole;
      const before = html.slice(0, at);
      const inLink = (before.match(/<a\b/gi) || []).length > (before.match(/<\/a>/gi) || []).length;
      const after = text(html.slice(at + whole.length, at + whole.length + 400));
      const glued = /^[\p{L}\d]/u.test(after);
      const cited = numbers(group[1]);
      if (inLink || glued || !CITABLE_AFTER.test(text(before).slice(-40))) return whole;
      if (!cited.every((n) => kept.has(n))) return whole;
      changed = true;
      return `[${group[1]}]`;
    });
    return changed ? converted : null;
  }

  document.addEventListener(
    "paste",
    function (event) {
      const editor = event.target.closest && event.target.closest(".ProseMirror");
      if (redispatching || !editor || !event.clipboardData) return;
      const html = event.clipboardData.getData("text/html");
      const converted = html && /<sup|vertical-align:\s*super/i.test(html)
        ? convert(html, referenceNumbers(editor.closest("form")))
        : null;
      if (converted === null) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      const data = new DataTransfer();
      data.setData("text/html", converted);
      data.setData("text/plain", event.clipboardData.getData("text/plain"));
      redispatching = true;
      try {
        event.target.dispatchEvent(
          new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }),
        );
      } finally {
        redispatching = false;
      }
    },
    true,
  );
}

startPasteCitations();
