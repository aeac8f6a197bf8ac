// Invitation registration with a passkey instead of a password (customer/invitations.py).
// Progressive enhancement: the choice appears only where the browser supports WebAuthn; the
// names typed in the form go with the options request, the new credential to the register URL.
(function () {
  "use strict";

  const codec = window.OrgdeskWebAuthn;

  async function post(url, form, body) {
    const csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
    const response = await fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": csrf ? csrf.value : "" },
      body: body,
      credentials: "same-origin",
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (!response.ok) {
      const error = new Error(data.detail || "");
      error.server = true;
      throw error;
    }
    return data;
  }

  async function register(form, box) {
    const names = new FormData();
    ["given_name", "family_name"].forEach(function (name) {
      const input = form.querySelector("[name=" + name + "]");
      names.append(name, input ? input.value : "");
    });
    const options = codec.creationOptions(await post(box.dataset.optionsUrl, form, names));
    const credential = await navigator.credentials.create({ publicKey: options });
    const body = new FormData();
    body.append("credential", JSON.stringify(codec.credentialToJSON(credential)));
    const data = await post(box.dataset.registerUrl, form, body);
    window.location.assign(data.redirect);
  }

  const box = document.querySelector("[data-invite-passkey]");
  if (!box || !window.PublicKeyCredential || !navigator.credentials) return;
  const form = box.closest("form");
  const button = box.querySelector("[data-invite-passkey-button]");
  const error = box.querySelector("[data-passkey-error]");
  box.hidden = false;
  button.addEventListener("click", function () {
    error.hidden = true;
    button.disabled = true;
    register(form, box).catch(function (e) {
      button.disabled = false;
      if (e && e.server && e.message) error.textContent = e.message;
      else if (e && e.name === "NotAllowedError") error.textContent = box.dataset.cancelled;
      else error.textContent = box.dataset.failed;
      error.hidden = false;
    });
  });
})();
