import type { PlaceLookup } from "../../geo/place.js";
import type { Session } from "../../sessions/session.js";
import { deviceDetails } from "./describe-device.js";
import { describePlace } from "./describe-place.js";
import { ago, utc } from "./format-time.js";
import { html, type SafeHtml } from "./html.js";

export interface DevicesSectionOptions {
  readonly current: Session;
  readonly sessions: readonly Session[];
  readonly csrfToken: string;
  readonly now: number;
  /** Places of the sessions' IP addresses (`noPlaces` without a GeoIP database). */
  readonly places: PlaceLookup;
}

/**
 * "Your devices": each web session with a readable device name and type, and
 * where it was seen: its IP address, and the city and country when the
 * operator configured a local GeoIP database (docs/decisions/0043 and 0046).
 */
export function devicesSection(o: DevicesSectionOptions): SafeHtml {
  const others = o.sessions.filter((s) => s.id !== o.current.id);
  return html`<section class="card" aria-labelledby="devices-h">
  <h2 id="devices-h">Your devices</h2>
  <p class="muted">Where you are signed in. Sign out any device you do not recognise, then change your password.</p>
  <ul class="devices">
  ${[o.current, ...others].map((s) => {
    const device = deviceDetails(s.userAgent);
    const current = s.id === o.current.id;
    const place = describePlace(o.places, s.ip);
    return html`<li data-session-id="${s.id}">
    <div>
      <div class="device-name">${device.name}${current ? html`<span class="badge">This device</span>` : ""}</div>
      <div class="muted"><span class="device-type">${device.type}</span> · IP address ${s.ip ?? "unknown"}${place === null ? "" : html` <span class="place">(${place})</span>`} · ${current ? "active now" : html`last active <time datetime="${new Date(s.lastSeenAt).toISOString()}">${ago(o.now - s.lastSeenAt)}</time>`} · signed in ${utc(s.createdAt)}</div>
    </div>
    <form method="post" action="/account/sessions/${s.id}/revoke" class="inline">
      <input type="hidden" name="_csrf" value="${o.csrfToken}">
      <button type="submit" class="danger" aria-label="Sign out ${device.name}${current ? " (this device)" : ""}">Sign out</button>
    </form>
  </li>`;
  })}
  </ul>
  <div class="actions">
    ${
      others.length > 0
        ? html`<form method="post" action="/account/sessions/revoke-others" class="inline">
      <input type="hidden" name="_csrf" value="${o.csrfToken}">
      <button type="submit" class="secondary">Sign out all other devices</button>
    </form>`
        : ""
    }
    <form method="post" action="/account/logout-everywhere" class="inline">
      <input type="hidden" name="_csrf" value="${o.csrfToken}">
      <button type="submit" class="danger">Sign out everywhere</button>
    </form>
  </div>
  ${o.places.database === null ? "" : html`<p class="hint">Places are approximate: looked up from the IP address in a local database, which can be wrong, above all for phones and VPNs.</p>`}
  <p class="hint">“Sign out everywhere” ends every device, every app below and every access token, this browser included.</p>
</section>`;
}
