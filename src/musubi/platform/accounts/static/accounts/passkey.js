/*
 * Passkeys for the staff second factor (WebAuthn), our own code, no dependencies.
 *
 * A form marked data-passkey="create" (register) or "get" (log in) is completed here:
 * POST the form to data-options-url for the options (JSON, binary fields in base64url),
 * ask the authenticator through navigator.credentials, put its answer as JSON into the
 * hidden "credential" field and submit the form normally; the server says the rest.
 * Without WebAuthn the forms stay hidden and the "unsupported" notice stays visible.
 * Messages come from the form's data-message-* attributes, already translated.
 */
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }

  function toBuffer(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i += 1) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i += 1) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: toBuffer(item.id) });
    });
  }

  function creationOptions(json) {
    return Object.assign({}, json, {
      challenge: toBuffer(json.challenge),
      user: Object.assign({}, json.user, { id: toBuffer(json.user.id) }),
      excludeCredentials: descriptors(json.excludeCredentials),
    });
  }

  function requestOptions(json) {
    return Object.assign({}, json, {
      challenge: toBuffer(json.challenge),
      allowCredentials: descriptors(json.allowCredentials),
    });
  }

  function answerAsJson(credential) {
    var response = credential.response;
    var answer = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      answer.response.attestationObject = toText(response.attestationObject);
      answer.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      answer.response.authenticatorData = toText(response.authenticatorData);
      answer.response.signature = toText(response.signature);
      answer.response.userHandle = response.userHandle ? toText(response.userHandle) : null;
    }
    return JSON.stringify(answer);
  }

  function Refusal(message) {
    this.message = message;
  }

  function fetchOptions(form) {
    return fetch(form.dataset.optionsUrl, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (reply) {
      return reply.json().then(function (body) {
        if (!reply.ok) {
          throw new Refusal(body.error);
        }
        return body;
      });
    });
  }

  function ceremony(form) {
    return fetchOptions(form).then(function (options) {
      if (form.dataset.passkey === "create") {
        return navigator.credentials.create({ publicKey: creationOptions(options) });
      }
      return navigator.credentials.get({ publicKey: requestOptions(options) });
    });
  }

  function explain(form, error) {
    if (error instanceof Refusal && error.message) {
      return error.message;
    }
    if (error && error.name === "InvalidStateError") {
      return form.dataset.messageDuplicate;
    }
    if (error && error.name === "NotAllowedError") {
      return form.dataset.messageCancelled;
    }
    return form.dataset.messageFailed;
  }

  function enhance(form) {
    var status = form.querySelector("[data-passkey-status]");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!form.reportValidity()) {
        return;
      }
      status.hidden = true;
      button.disabled = true;
      ceremony(form)
        .then(function (credential) {
          form.elements.credential.value = answerAsJson(credential);
          form.submit();
        })
        .catch(function (error) {
          status.textContent = explain(form, error);
          status.hidden = false;
          button.disabled = false;
        });
    });
  }

  document.querySelectorAll("[data-passkey-section]").forEach(function (section) {
    section.hidden = false;
  });
  document.querySelectorAll("[data-passkey-unsupported]").forEach(function (notice) {
    notice.hidden = true;
  });
  document.querySelectorAll("form[data-passkey]").forEach(enhance);
})();
