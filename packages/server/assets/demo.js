// The hybrid demo (/demo): a page signed in by its session cookie gets an
// access token through the session bridge and calls the API with it, as a
// single-page app on Tessera's origin would. Served from /assets under the
// strict CSP (script-src 'self'); no inline script anywhere.

const $ = (id) => document.getElementById(id);
let accessToken = null;

function show(id, value) {
  $(id).textContent = typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

function status(message) {
  $("demo-status").textContent = message;
}

function decodeSegment(segment) {
  const base64 = segment.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

async function json(response) {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return text;
  }
}

/** GET /api/v1/session for the CSRF token, then POST /api/v1/auth/session-token. */
async function getToken() {
  status("Exchanging the session for an access token…");
  const session = await fetch("/api/v1/session", { credentials: "same-origin" });
  if (!session.ok) throw new Error(`GET /api/v1/session answered ${session.status}`);
  const { csrfToken } = await session.json();
  const response = await fetch("/api/v1/auth/session-token", {
    method: "POST",
    credentials: "same-origin",
    headers: { "x-csrf-token": csrfToken },
  });
  const body = await json(response);
  if (!response.ok) throw new Error(`POST /api/v1/auth/session-token answered ${response.status}`);
  accessToken = body.access_token;
  const [header, claims] = accessToken.split(".");
  show("token-header", decodeSegment(header));
  show("token-claims", decodeSegment(claims));
  show("token-expiry", `${body.expires_in} seconds`);
}

/** GET /api/v1/me with the access token alone (no cookie). */
async function callMe() {
  const response = await fetch("/api/v1/me", {
    credentials: "omit",
    headers: { authorization: `Bearer ${accessToken}` },
  });
  const body = await json(response);
  show("me-status", `${response.status} ${response.ok ? "OK" : response.statusText || "refused"}`);
  $("me-status").className = response.ok ? "ok" : "refused";
  show("me-body", body);
  return response.status;
}

async function start() {
  try {
    await getToken();
    await callMe();
    $("call-me").disabled = false;
    $("logout-everywhere").disabled = false;
    status("Signed in by session; the API accepted the access token.");
  } catch (error) {
    status(`Something went wrong: ${error.message}`);
  }
}

$("call-me").addEventListener("click", async () => {
  const code = await callMe();
  status(`GET /api/v1/me answered ${code}.`);
});

$("logout-everywhere").addEventListener("click", async () => {
  const response = await fetch("/api/v1/auth/logout-everywhere", {
    method: "POST",
    credentials: "omit",
    headers: { authorization: `Bearer ${accessToken}` },
  });
  show("logout-result", `${response.status}: ${JSON.stringify(await json(response))}`);
  $("logout-everywhere").disabled = true;
  const code = await callMe();
  status(
    code === 401
      ? "Logged out everywhere: the same access token is now refused (401)."
      : `Logged out everywhere, but GET /api/v1/me answered ${code}.`,
  );
  $("signed-out").hidden = false;
});

$("demo-js").hidden = false;
$("demo-nojs").hidden = true;
start();
