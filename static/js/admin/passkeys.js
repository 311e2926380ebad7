// Passkeys in the admin: a form marked data-passkey="create" (add one) or "get" (sign in
// with one) asks the browser for the credential, puts its JSON in the form's hidden
// "credential" field and submits; the options come from the server (json_script).
(function () {
  "use strict";
  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    var status = form.querySelector(".passkey-status");
    var options = JSON.parse(document.getElementById(form.dataset.options).textContent);
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      var PKC = window.PublicKeyCredential;
      if (!PKC || !PKC.parseCreationOptionsFromJSON || !navigator.credentials) {
        status.textContent = "This browser cannot use passkeys: use a code instead.";
        return;
      }
      status.textContent = "Follow what your browser asks…";
      try {
        var credential =
          form.dataset.passkey === "create"
            ? await navigator.credentials.create({ publicKey: PKC.parseCreationOptionsFromJSON(options) })
            : await navigator.credentials.get({ publicKey: PKC.parseRequestOptionsFromJSON(options) });
        form.elements.credential.value = JSON.stringify(credential.toJSON());
        status.textContent = "Checking…";
        form.submit();
      } catch (error) {
        status.textContent = "No passkey was used (" + error.name + "). Try again, or use a code.";
      }
    });
  });
})();
