import type { Place, PlaceLookup } from "../../geo/place.js";
import { html, type SafeHtml } from "./html.js";

/**
 * A place as one short line: "Paris, France"; the region stands in for a
 * missing city ("Île-de-France, France"); a Country database gives "France".
 */
export function formatPlace(place: Place): string {
  const local = place.city ?? place.region;
  const country = place.country ?? place.countryCode;
  return [local, country].filter((part) => part !== undefined).join(", ");
}

/**
 * Where an IP address is, for showing next to it: "Paris, France", or null
 * when there is nothing to show (no `TESSERA_GEOIP_DB`, a private or unknown
 * address). Plain text: escape it like any other value (the `html` template does).
 *
 * @example
 * html`${s.ip}${describePlace(ctx.deps.places, s.ip) ?? ""}`
 */
export function describePlace(places: PlaceLookup, ip: string | null | undefined): string | null {
  const place = places.place(ip);
  if (place === null) return null;
  const line = formatPlace(place);
  return line === "" ? null : line;
}

/** "203.0.113.7 (Paris, France)" for a table cell, "—" without an address. */
export function ipWithPlace(places: PlaceLookup, ip: string | null): SafeHtml | string {
  if (ip === null) return "—";
  const place = describePlace(places, ip);
  return place === null ? ip : html`${ip} <span class="place">(${place})</span>`;
}
