import type { AuditEvent } from "../../audit/events.js";
import type { AdminAuth } from "../web/admin-auth.js";
import { adminPage } from "./admin-layout.js";
import { auditTable } from "./audit-table.js";
import { html } from "./html.js";

export interface AdminHomePageOptions {
  readonly auth: AdminAuth;
  readonly liveSessions: number;
  /** The newest failed events (failed logins, reuse, use of revoked tokens). */
  readonly failures: readonly AuditEvent[];
}

export function adminHomePage(o: AdminHomePageOptions): string {
  return adminPage({
    title: "Admin console",
    auth: o.auth,
    section: "home",
    body: html`<div class="tiles">
  <a class="card tile" href="/admin/users"><strong>Users</strong><span class="muted">Search, sessions, disable, revoke</span></a>
  <a class="card tile" href="/admin/sessions"><strong>Sessions and grants</strong><span class="muted">Who is signed in now, across users; revoke one</span></a>
  <a class="card tile" href="/admin/audit"><strong>Audit log</strong><span class="muted">Who did what, filtered and exported</span></a>
  <a class="card tile" href="/admin/activity"><strong>Activity</strong><span class="muted">Logins, failures and revocations over time</span></a>
  <a class="card tile" href="/admin/keys"><strong>Signing keys</strong><span class="muted">States and rotation</span></a>
</div>
<section class="card" aria-labelledby="now-h">
  <h2 id="now-h">Now</h2>
  <p><strong>${o.liveSessions}</strong> live web session${o.liveSessions === 1 ? "" : "s"}. <a href="/admin/sessions">See them</a></p>
</section>
<section class="card" aria-labelledby="fail-h">
  <h2 id="fail-h">Latest failures</h2>
  ${auditTable(o.failures)}
  <p><a href="/admin/audit?outcome=failure">All failures</a></p>
</section>`,
  });
}
