// Passkey ceremonies (WebAuthn): a separate file so the CSP needs no inline script.
// Each [data-passkey] block names its options and finish URLs; the server keeps the challenge.

const toBytes = (b64url) => {
  const base64 = b64url.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(b64url.length / 4) * 4, "=");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
};

const toB64url = (buffer) =>
  btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

const descriptors = (list) => (list || []).map((item) => ({ ...item, id: toBytes(item.id) }));

function creationOptions(json) {
  return {
    ...json,
    challenge: toBytes(json.challenge),
    user: { ...json.user, id: toBytes(json.user.id) },
    excludeCredentials: descriptors(json.excludeCredentials),
  };
}

function requestOptions(json) {
  return { ...json, challenge: toBytes(json.challenge), allowCredentials: descriptors(json.allowCredentials) };
}

function credentialJSON(credential) {
  const response = credential.response;
  const json = {
    id: credential.id,
    rawId: toB64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: { clientDataJSON: toB64url(response.clientDataJSON) },
  };
  if (response.attestationObject) {
    json.response.attestationObject = toB64url(response.attestationObject);
    json.response.transports = response.getTransports ? response.getTransports() : [];
  } else {
    json.response.authenticatorData = toB64url(response.authenticatorData);
    json.response.signature = toB64url(response.signature);
    json.response.userHandle = response.userHandle ? toB64url(response.userHandle) : undefined;
  }
  return json;
}

async function postJSON(url, body, csrfToken) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok && data.step_up) {
    window.location.assign(data.step_up);
  }
  if (!response.ok) {
    throw new Error(data.error_description || "Something went wrong. Reload the page and try again.");
  }
  return data;
}

async function run(block) {
  const { mode, purpose, optionsUrl, finishUrl, csrfToken, next, nameField } = block.dataset;
  const options = await postJSON(optionsUrl, { purpose }, csrfToken);
  const credential =
    mode === "register"
      ? await navigator.credentials.create({ publicKey: creationOptions(options) })
      : await navigator.credentials.get({ publicKey: requestOptions(options) });
  const body = { purpose, next, credential: credentialJSON(credential) };
  if (nameField) {
    body.name = document.getElementById(nameField)?.value || "";
  }
  const result = await postJSON(finishUrl, body, csrfToken);
  window.location.assign(result.redirect);
}

function showError(block, message) {
  const area = block.querySelector("[data-passkey-error]");
  area.textContent = message;
  area.hidden = false;
}

for (const block of document.querySelectorAll("[data-passkey]")) {
  if (!window.PublicKeyCredential) {
    continue;
  }
  const button = block.querySelector("[data-passkey-button]");
  block.querySelector("[data-passkey-unsupported]").hidden = true;
  button.hidden = false;
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await run(block);
    } catch (error) {
      const cancelled = error && error.name === "NotAllowedError";
      showError(block, cancelled ? "The passkey was not used. Try again when you are ready." : error.message);
    } finally {
      button.disabled = false;
    }
  });
}
