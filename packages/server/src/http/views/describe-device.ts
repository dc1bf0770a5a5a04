import UAParser from "ua-parser-js";

/** "Firefox 128 on Ubuntu" from a User-Agent, or a plain fallback. */
export function describeDevice(userAgent: string | null): string {
  if (!userAgent) return "Unknown device";
  const { browser, os, device } = new UAParser(userAgent).getResult();
  const name = browser.name ? `${browser.name}${browser.major ? ` ${browser.major}` : ""}` : null;
  const system = os.name
    ? `${os.name}${os.version && os.name !== "Mac OS" ? ` ${os.version}` : ""}`
    : null;
  const hardware = device.model
    ? `${device.vendor ? `${device.vendor} ` : ""}${device.model}`
    : null;
  if (!name && !system) return userAgent.length > 60 ? `${userAgent.slice(0, 57)}…` : userAgent;
  return [
    name ?? "Unknown browser",
    system || hardware ? `on ${[hardware, system].filter(Boolean).join(", ")}` : "",
  ]
    .filter(Boolean)
    .join(" ");
}
