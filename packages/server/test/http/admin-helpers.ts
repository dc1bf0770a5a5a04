import { expect } from "vitest";
import { registerUser } from "../../src/accounts/register-user.js";
import {
  type Browser,
  csrfFrom,
  type Harness,
  PASSWORD,
  type Response,
  signedInBrowser,
} from "./harness.js";

export const ADMIN = "root@example.com";

/** A signed-in admin (created the CLI way). */
export async function adminBrowser(h: Harness): Promise<Browser> {
  await registerUser(
    h.tessera.accounts,
    { email: ADMIN, password: PASSWORD, actor: "cli", via: "cli", role: "admin" },
    { ip: null, userAgent: null },
  );
  return signedInBrowser(h, ADMIN);
}

/** An HTML page with this status. */
export function expectPage(res: Response, status: number): string {
  expect(res.statusCode, res.body.slice(0, 800)).toBe(status);
  expect(String(res.headers["content-type"])).toMatch(/^text\/html/);
  return res.body;
}

/** A 303 to the login page that comes back to `path`. */
export function expectLoginRedirect(res: Response, path: string): void {
  expect(res.statusCode).toBe(303);
  expect(res.headers.location).toBe(`/login?return_to=${encodeURIComponent(path)}`);
}

/** The `_csrf` of a page fetched by `browser`. */
export async function pageToken(browser: Browser, path: string): Promise<string> {
  return csrfFrom(expectPage(await browser.get(path), 200));
}
