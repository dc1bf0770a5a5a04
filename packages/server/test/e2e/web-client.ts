/**
 * A minimal browser stand-in over Node's fetch: one cookie jar per "device",
 * a fixed User-Agent, no automatic redirects (tests assert each 303), and the
 * `Origin` a browser sends on a same-origin form POST.
 */
export interface SetCookie {
  readonly name: string;
  readonly value: string;
  /** Attribute names and values, lower-cased names ("httponly" → ""). */
  readonly attributes: ReadonlyMap<string, string>;
}

export function parseSetCookie(header: string): SetCookie {
  const [pair = "", ...parts] = header.split(";");
  const eq = pair.indexOf("=");
  const attributes = new Map<string, string>();
  for (const part of parts) {
    const i = part.indexOf("=");
    const key = (i === -1 ? part : part.slice(0, i)).trim().toLowerCase();
    attributes.set(key, i === -1 ? "" : part.slice(i + 1).trim());
  }
  return {
    name: pair.slice(0, eq).trim(),
    value: pair.slice(eq + 1).trim(),
    attributes,
  };
}

function isRemoval(cookie: SetCookie): boolean {
  const maxAge = cookie.attributes.get("max-age");
  if (maxAge !== undefined && Number(maxAge) <= 0) return true;
  const expires = cookie.attributes.get("expires");
  return expires !== undefined && Date.parse(expires) <= Date.now();
}

export interface Page {
  readonly status: number;
  readonly location: string | null;
  readonly body: string;
  readonly setCookies: readonly SetCookie[];
}

export class WebClient {
  private readonly jar = new Map<string, string>();
  /** Every cookie value the server ever gave this client (for leak checks). */
  readonly cookiesSeen = new Set<string>();

  constructor(
    private readonly issuer: string,
    private readonly userAgent: string,
  ) {}

  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  private cookieHeader(): string {
    return [...this.jar].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  private async send(path: string, init: RequestInit, cookieHeader?: string): Promise<Page> {
    const headers = new Headers(init.headers);
    headers.set("user-agent", this.userAgent);
    const cookies = cookieHeader ?? this.cookieHeader();
    if (cookies) headers.set("cookie", cookies);
    const res = await fetch(new URL(path, this.issuer), { ...init, headers, redirect: "manual" });
    const setCookies = res.headers.getSetCookie().map(parseSetCookie);
    for (const cookie of setCookies) {
      if (isRemoval(cookie)) {
        this.jar.delete(cookie.name);
      } else {
        this.jar.set(cookie.name, cookie.value);
        this.cookiesSeen.add(cookie.value);
      }
    }
    return {
      status: res.status,
      location: res.headers.get("location"),
      body: await res.text(),
      setCookies,
    };
  }

  get(path: string): Promise<Page> {
    return this.send(path, { method: "GET" });
  }

  /** GET with an explicit Cookie header instead of the jar (replaying an old cookie). */
  getWithCookie(path: string, cookieHeader: string): Promise<Page> {
    return this.send(path, { method: "GET" }, cookieHeader);
  }

  /** An HTML form POST from one of the issuer's own pages. */
  postForm(path: string, fields: Record<string, string>): Promise<Page> {
    return this.send(path, {
      method: "POST",
      headers: {
        origin: new URL(this.issuer).origin,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

/**
 * Sign up through the real `/register` form at `baseUrl` and return the
 * signed-in browser; throws unless the form answered 303 with a session cookie.
 */
export async function registerThroughForm(
  baseUrl: string,
  userAgent: string,
  email: string,
  password: string,
): Promise<WebClient> {
  const browser = new WebClient(baseUrl, userAgent);
  const form = await browser.get("/register");
  const done = await browser.postForm("/register", {
    _csrf: formCsrf(form.body, "/register"),
    email,
    password,
  });
  if (done.status !== 303 || browser.cookie("__Host-tessera_session") === undefined)
    throw new Error(`registering ${email} failed: ${done.status}\n${done.body}`);
  return browser;
}

/** `POST /api/v1/auth/login` at `baseUrl`: a new grant's tokens; throws unless 200. */
export async function loginThroughApi(
  baseUrl: string,
  email: string,
  password: string,
): Promise<{ access_token: string; refresh_token: string }> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`API login of ${email} failed: ${res.status} ${body}`);
  return JSON.parse(body) as { access_token: string; refresh_token: string };
}

/** The `_csrf` value of the first form on the page whose action is `action`. */
export function formCsrf(html: string, action: string): string {
  const forms = html.match(/<form\b[^>]*>[\s\S]*?<\/form>/g) ?? [];
  for (const form of forms) {
    if (!form.includes(`action="${action}"`)) continue;
    const token = form.match(/name="_csrf" value="([^"]+)"/)?.[1];
    if (token) return token;
  }
  throw new Error(`no form posting to ${action} with a _csrf field on the page:\n${html}`);
}

/** Session ids listed under "Your devices", in page order (this device first). */
export function listedSessionIds(html: string): string[] {
  return [...html.matchAll(/data-session-id="([^"]+)"/g)].map((m) => m[1]!);
}
