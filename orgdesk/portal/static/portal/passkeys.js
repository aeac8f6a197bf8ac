// Passkey ceremonies for the portal: registration on the security page, assertion at sign-in
// and step-up. Options come from the server as JSON (base64url for binary fields).
(function () {
  "use strict";

  function b64urlToBuffer(value) {
    const padded = value.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((value.length + 3) % 4);
    const raw = atob(padded);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function bufferToB64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let raw = "";
    for (let i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

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

  function credentialToJSON(credential) {
    const response = credential.response;
    const out = {
      id: credential.id,
      rawId: bufferToB64url(credential.rawId),
      type: credential.type,
      response: { clientDataJSON: bufferToB64url(response.clientDataJSON) },
      clientExtensionResults: credential.getClientExtensionResults(),
    };
    if (response.attestationObject) {
      out.response.attestationObject = bufferToB64url(response.attestationObject);
      if (response.getTransports) out.response.transports = response.getTransports();
    } else {
      out.response.authenticatorData = bufferToB64url(response.authenticatorData);
      out.response.signature = bufferToB64url(response.signature);
      if (response.userHandle) out.response.userHandle = bufferToB64url(response.userHandle);
    }
    if (credential.authenticatorAttachment) out.authenticatorAttachment = credential.authenticatorAttachment;
    return out;
  }

  async function signIn(form) {
    const options = await fetchOptions(form);
    options.challenge = b64urlToBuffer(options.challenge);
    (options.allowCredentials || []).forEach(function (c) { c.id = b64urlToBuffer(c.id); });
    const credential = await navigator.credentials.get({ publicKey: options });
    form.querySelector("input[name=passkey]").value = JSON.stringify(credentialToJSON(credential));
    form.submit();
  }

  async function register(form) {
    const options = await fetchOptions(form);
    options.challenge = b64urlToBuffer(options.challenge);
    options.user.id = b64urlToBuffer(options.user.id);
    (options.excludeCredentials || []).forEach(function (c) { c.id = b64urlToBuffer(c.id); });
    const credential = await navigator.credentials.create({ publicKey: options });
    const body = new FormData();
    body.append("credential", JSON.stringify(credentialToJSON(credential)));
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
