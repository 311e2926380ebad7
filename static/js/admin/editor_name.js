// The rich text editor (django-prose-editor) is a contenteditable box with no name of its
// own: screen readers announced an unnamed text box. Give each one its field's label.
(function () {
  "use strict";
  function nameEditors() {
    var boxes = document.querySelectorAll(".prose-editor [contenteditable]:not([aria-label])");
    boxes.forEach(function (box) {
      var textarea = box.closest(".prose-editor").querySelector("textarea");
      var label = textarea && textarea.id && document.querySelector('label[for="' + textarea.id + '"]');
      if (label) {
        box.setAttribute("aria-label", label.textContent.replace(/:\s*$/, "").trim());
      }
    });
  }
  // Editors start after this script, and inline formsets add more later.
  new MutationObserver(nameEditors).observe(document.documentElement, {
    childList: true,
    subtree: true,
  });
  nameEditors();
})();
