// Drive Tessera's web forms the way a browser does: GET the form for the
// pre-session CSRF cookie and its `_csrf` token, POST it with `Origin`.

/** A current desktop browser, so the device list describes a real device. */
export const BROWSER_UA =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/** `name=value` pairs from the response's Set-Cookie headers. */
function setCookies(response) {
  const jar = {};
  for (const line of response.headers.getSetCookie()) {
    const pair = line.split(";")[0];
    const eq = pair.indexOf("=");
    jar[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return jar;
}

/** Cookie header value from a jar. */
export function cookieHeader(jar) {
  return Object.entries(jar)
    .map(([name, value]) => `${name}=${value}`)
    .join("; ");
}

/** GET a form page signed out: its pre-session cookie (name=value) and `_csrf` token. */
export async function getForm(server, path) {
  const response = await fetch(`${server.url}${path}`, {
    redirect: "manual",
    headers: { "user-agent": BROWSER_UA },
  });
  const html = await response.text();
  if (response.status !== 200) throw new Error(`GET ${path}: ${response.status}`);
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  const jar = setCookies(response);
  const name = Object.keys(jar).find((n) => n.endsWith("tessera_csrf"));
  if (!token || !name) throw new Error(`GET ${path}: no CSRF cookie or _csrf field`);
  return { cookie: `${name}=${jar[name]}`, token };
}

/** POST a form the way a same-origin browser does; expects 303. */
export async function postForm(server, path, form, fields) {
  const body = new URLSearchParams({ ...fields, _csrf: form.token }).toString();
  const response = await fetch(`${server.url}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      origin: server.origin,
      cookie: form.cookie,
      "content-type": "application/x-www-form-urlencoded",
      "user-agent": BROWSER_UA,
    },
    body,
  });
  const text = await response.text();
  if (response.status !== 303) {
    throw new Error(`POST ${path}: expected 303, got ${response.status}\n${text.slice(0, 500)}`);
  }
  return { response, cookies: setCookies(response), body };
}

/** Register through the web form; returns the session cookie (`name=value`). */
export async function registerViaForm(server, email, password) {
  const form = await getForm(server, "/register");
  const { cookies } = await postForm(server, "/register", form, { email, password });
  const name = Object.keys(cookies).find((n) => n.endsWith("tessera_session"));
  if (!name) throw new Error("POST /register: no session cookie");
  return { session: `${name}=${cookies[name]}`, preSession: form.cookie };
}
