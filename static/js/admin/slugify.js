/* Slugs filled in from titles and names treat dashes and slashes as word breaks, as the
 * server does (articles/text.py): "Antibody–Drug Conjugates" -> antibody-drug-conjugates,
 * not antibodydrug-conjugates. Wraps Django's URLify, which the prepopulated fields call. */
(function () {
  "use strict";
  const original = window.URLify;
  if (typeof original !== "function") return;
  window.URLify = function (value, maxLength, allowUnicode) {
    return original(String(value).replace(/[\u2010-\u2015\u2212/]/g, " "), maxLength, allowUnicode);
  };
})();
