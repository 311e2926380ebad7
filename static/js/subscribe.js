// Subscribe forms: show the postal address fields only while a print list is ticked.
// Without JavaScript the fields are always shown and the server checks them.
// The signup box on cached pages carries no time-on-form stamp (the page is the same for
// every reader): when someone starts filling it in, fetch a stamp of their own.
(function () {
  "use strict";

  function fetchStamp(form) {
    var started = form.querySelector("input[name=started]");
    var url = form.getAttribute("data-stamp-url");
    if (!started || started.value || !url || !window.fetch) {
      return;
    }
    started.value = "";
    window
      .fetch(url, { credentials: "omit", cache: "no-store" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data && data.started && !started.value) {
          started.value = data.started;
        }
      })
      .catch(function () {
        // Without a stamp the server shows the form again, to be checked and sent again.
      });
  }

  function setUp(form) {
    if (form.hasAttribute("data-subscribe-ready")) {
      return;
    }
    form.setAttribute("data-subscribe-ready", "");
    form.addEventListener("focusin", function () {
      fetchStamp(form);
    });

    var boxes = form.querySelectorAll("input[data-needs-address]");
    var address = form.querySelector("[data-address-fields]");
    if (!address) {
      return;
    }

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
