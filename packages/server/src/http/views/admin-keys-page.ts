import type { SigningKeyRecord } from "../../keys/signing-key.js";
import type { AdminAuth } from "../web/admin-auth.js";
import { adminPage, isoTime } from "./admin-layout.js";
import { html } from "./html.js";

export interface AdminKeysPageOptions {
  readonly auth: AdminAuth;
  readonly keys: readonly SigningKeyRecord[];
  readonly notice?: string | undefined;
}

const stateOrder = { next: 0, current: 1, retiring: 2, retired: 3 } as const;
const stateText = {
  next: "Next — published, signs after the next rotation",
  current: "Current — signs new tokens",
  retiring: "Retiring — published until its tokens expire",
  retired: "Retired — no longer published",
} as const;

export function adminKeysPage(o: AdminKeysPageOptions): string {
  const keys = [...o.keys].sort(
    (a, b) => stateOrder[a.state] - stateOrder[b.state] || b.createdAt - a.createdAt,
  );
  return adminPage({
    title: "Signing keys",
    auth: o.auth,
    section: "keys",
    notice: o.notice,
    body: html`<section class="card" aria-labelledby="keys-h">
  <h2 id="keys-h">Keys</h2>
  <div class="table-wrap"><table>
    <thead><tr><th scope="col">Key id</th><th scope="col">Algorithm</th><th scope="col">State</th><th scope="col">Created</th><th scope="col">Signing since</th><th scope="col">Retiring since</th><th scope="col">Leaves the JWKS</th></tr></thead>
    <tbody>${keys.map(
      (
        k,
      ) => html`<tr data-state="${k.state}"><td><code>${k.kid}</code></td><td>${k.alg}</td><td>${stateText[k.state]}</td>
      <td>${isoTime(k.createdAt)}</td><td>${isoTime(k.activatedAt)}</td><td>${isoTime(k.retiringAt)}</td><td>${isoTime(k.retireAfter)}</td></tr>`,
    )}</tbody>
  </table></div>
</section>
<section class="card" aria-labelledby="rotate-h">
  <h2 id="rotate-h">Rotate now</h2>
  <p>The next key starts signing, a new next key is published, and the current key stays published until every token it signed has expired. Nobody is signed out.</p>
  <form method="post" action="/admin/keys/rotate">
    <input type="hidden" name="_csrf" value="${o.auth.csrfToken}">
    <button type="submit">Rotate now</button>
  </form>
</section>`,
  });
}
