// WebAuthn's binary fields as base64url JSON, both ways: shared by passkeys.js (portal and
// customer enrolment) and invite-passkey.js (registration from an invitation).
window.OrgdeskWebAuthn = (function () {
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

  // A new credential (attestation) or a sign-in (assertion), as the server's JSON expects.
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

  // Registration options from the server, with their binary fields decoded in place.
  function creationOptions(options) {
    options.challenge = b64urlToBuffer(options.challenge);
    options.user.id = b64urlToBuffer(options.user.id);
    (options.excludeCredentials || []).forEach(function (c) { c.id = b64urlToBuffer(c.id); });
    return options;
  }

  // Sign-in options from the server, with their binary fields decoded in place.
  function requestOptions(options) {
    options.challenge = b64urlToBuffer(options.challenge);
    (options.allowCredentials || []).forEach(function (c) { c.id = b64urlToBuffer(c.id); });
    return options;
  }

  return { credentialToJSON: credentialToJSON, creationOptions: creationOptions, requestOptions: requestOptions };
})();
