import UAParser from "ua-parser-js";

const described = new Map<string, string>();

/**
 * "Firefox 128 on Ubuntu" from a User-Agent, or a plain fallback. Parsing
 * costs ~20 µs, and a user's devices repeat on every page view: memoised
 * (bounded) by the user-agent string.
 */
export function describeDevice(userAgent: string | null): string {
  if (!userAgent) return "Unknown device";
  const known = described.get(userAgent);
  if (known !== undefined) return known;
  const description = parse(userAgent);
  if (described.size >= 1000) described.clear();
  described.set(userAgent, description);
  return description;
}

function parse(userAgent: string): string {
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
