import type { User } from "../../accounts/user.js";
import type { AdminAuth } from "../web/admin-auth.js";
import { adminPage, isoTime, queryString } from "./admin-layout.js";
import { html } from "./html.js";

export interface AdminUsersPageOptions {
  readonly auth: AdminAuth;
  readonly users: readonly User[];
  readonly q: string;
  /** The id to pass as `after` for the next page, when there is one. */
  readonly next: string | null;
  /** Whether this page is not the first (a link back to it is shown). */
  readonly paged: boolean;
}

export function adminUsersPage(o: AdminUsersPageOptions): string {
  return adminPage({
    title: "Users",
    auth: o.auth,
    section: "users",
    body: html`<form method="get" action="/admin/users" class="card filters" role="search">
  <label for="q">Email contains</label>
  <div class="row"><input id="q" name="q" type="text" value="${o.q}" maxlength="320" autocomplete="off">
  <button type="submit">Search</button></div>
</form>
<section class="card" aria-labelledby="users-h">
  <h2 id="users-h">${o.q ? `Users whose email contains “${o.q}”` : "All users"}</h2>
  ${
    o.users.length === 0
      ? html`<p class="muted">No users match.</p>`
      : html`<div class="table-wrap"><table>
    <thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
    <tbody>
    ${o.users.map(
      (u) => html`<tr>
      <td><a href="/admin/users/${u.id}">${u.email}</a></td>
      <td>${u.role === "admin" ? "Administrator" : "User"}</td>
      <td>${u.disabledAt === null ? "Active" : html`<span class="tag danger">Disabled</span>`}</td>
      <td>${isoTime(u.createdAt)}</td>
    </tr>`,
    )}
    </tbody>
  </table></div>`
  }
  <nav class="pager" aria-label="Pages">
    ${o.paged ? html`<a href="/admin/users${queryString({ q: o.q })}">First page</a>` : ""}
    ${o.next ? html`<a href="/admin/users${queryString({ q: o.q, after: o.next })}" rel="next">Next page</a>` : ""}
  </nav>
</section>`,
  });
}
