// The hybrid bridge, in the browser: the session (an HttpOnly cookie the page
// cannot read) is traded for a short-lived access token, which then calls the
// API as any API client would.
const result = document.getElementById("result");

async function json(response, what) {
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status}`);
  return response.json();
}

async function run() {
  // 1. The session's CSRF token (same-origin only: other sites cannot read it).
  const session = await json(await fetch("/api/v1/session"), "GET /api/v1/session");
  // 2. Session cookie + CSRF header → an access token (sid = this session).
  const token = await json(
    await fetch("/api/v1/auth/session-token", {
      method: "POST",
      headers: { "x-csrf-token": session.csrfToken },
    }),
    "POST /api/v1/auth/session-token",
  );
  // 3. The API, with the token only.
  const notes = await json(
    await fetch("/api/notes", { headers: { authorization: `Bearer ${token.access_token}` } }),
    "GET /api/notes",
  );
  result.textContent = JSON.stringify({ email: session.user.email, ...notes }, null, 2);
  result.dataset.state = "done";
}

run().catch((error) => {
  result.textContent = String(error);
  result.dataset.state = "failed";
});
