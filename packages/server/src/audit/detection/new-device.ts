import { noPlaces, type PlaceLookup } from "../../geo/place.js";
import type { Clock } from "../../shared/clock.js";
import type { Random } from "../../shared/random.js";
import type { AuditEventInput, AuditLog } from "../events.js";
import { newEvent } from "../new-event.js";

/**
 * "Login from a new device" (DESIGN "Audit, detection, monitoring"): a
 * successful web login from a browser without a valid device cookie for the
 * account (accounts/device-cookie.ts) — `knownDevice: false` on its
 * `login.succeeded` — by an account that has logged in before. The first
 * login of an account is not news, so it raises nothing.
 *
 * Returns the `login.new_device` event to commit with the login's session,
 * or nothing. Its place (from `TESSERA_GEOIP_DB`, decision 0046) goes into
 * its details, so the alert says where the login came from as seen at that
 * time; it is looked up only when there is an alert to raise.
 */
export async function newDeviceEvents(
  deps: { readonly audit: AuditLog; readonly clock: Clock; readonly random: Random },
  loginSucceeded: AuditEventInput,
  places: PlaceLookup = noPlaces,
): Promise<AuditEventInput[]> {
  const userId = loginSucceeded.userId;
  if (userId === null || loginSucceeded.details?.knownDevice !== false) return [];
  // The current login is not committed yet, so any match is an earlier one.
  // (Retention may have pruned old logins: then no alert, the quiet side.)
  const earlier = await deps.audit.query({ userId, type: "login.succeeded", limit: 1 });
  if (earlier.length === 0) return [];
  const place = places.place(loginSucceeded.ip);
  return [
    newEvent(deps, "login.new_device", "success", {
      userId,
      actor: userId,
      ip: loginSucceeded.ip,
      userAgent: loginSucceeded.userAgent,
      details: {
        method: loginSucceeded.details?.method ?? "password",
        ...(place === null ? {} : { place }),
      },
    }),
  ];
}
