// Passkey ceremonies for the portal: registration on the security page, assertion at sign-in
// and step-up. Options come from the server as JSON (base64url for binary fields).
(function () {
  "use strict";

  const codec = window.OrgdeskWebAuthn;

  function csrf(form) {
    const input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function fetchOptions(form) {
    const response = await fetch(form.dataset.optionsUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrf(form) },
      credentials: "same-origin",
    });
    const data = await response.json();
    if (data.step_up) {
      window.location.assign(data.step_up);
      throw new Error(data.detail);
    }
    if (!response.ok) throw new Error(data.detail || "error");
    return data;
  }

  function showError(form, message) {
    const el = form.querySelector("[data-passkey-error]");
    if (el) {
      el.textContent = message;
      el.hidden = false;
    }
  }

  async function signIn(form) {
    const options = codec.requestOptions(await fetchOptions(form));
    const credential = await navigator.credentials.get({ publicKey: options });
    form.querySelector("input[name=passkey]").value = JSON.stringify(codec.credentialToJSON(credential));
    form.submit();
  }

  async function register(form) {
    const options = codec.creationOptions(await fetchOptions(form));
    const credential = await navigator.credentials.create({ publicKey: options });
    const body = new FormData();
    body.append("credential", JSON.stringify(codec.credentialToJSON(credential)));
    const response = await fetch(form.action, {
      method: "POST",
      headers: { "X-CSRFToken": csrf(form) },
      body: body,
      credentials: "same-origin",
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.detail || "error");
    window.location.assign(data.redirect);
  }

  document.querySelectorAll("[data-passkey-signin], [data-passkey-register]").forEach(function (form) {
    const button = form.querySelector("[data-passkey-button]");
    if (!window.PublicKeyCredential) {
      button.disabled = true;
      showError(form, form.dataset.unsupported || "This browser does not support passkeys.");
      return;
    }
    button.addEventListener("click", function () {
      const run = form.hasAttribute("data-passkey-register") ? register : signIn;
      run(form).catch(function (error) {
        showError(form, error && error.message && error.name !== "NotAllowedError"
          ? error.message : (form.dataset.cancelled || "The passkey request was cancelled or timed out."));
      });
    });
  });
})();
