// Subscribe forms: show the postal address fields only while a print list is ticked.
// Without JavaScript the fields are always shown and the server checks them.
(function () {
  "use strict";

  function setUp(form) {
    var boxes = form.querySelectorAll("input[data-needs-address]");
    var address = form.querySelector("[data-address-fields]");
    if (!address || form.hasAttribute("data-subscribe-ready")) {
      return;
    }
    form.setAttribute("data-subscribe-ready", "");

    function update() {
      var needed = Array.prototype.some.call(boxes, function (box) {
        return box.checked;
      });
      address.hidden = !needed;
    }

    Array.prototype.forEach.call(boxes, function (box) {
      box.addEventListener("change", update);
    });
    update();
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-subscribe-form]"), setUp);
})();
