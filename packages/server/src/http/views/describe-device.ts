import UAParser from "ua-parser-js";

/** A device as a person recognises it: what it is and which browser on which system. */
export interface DeviceDetails {
  /** "Firefox 128 on Ubuntu", "Mobile Safari 17 on Apple iPhone, iOS 17.5". */
  readonly name: string;
  /** "Computer", "Phone", "Tablet", … or "Unknown device type". */
  readonly type: string;
}

const described = new Map<string, DeviceDetails>();

const TYPES: Record<string, string> = {
  mobile: "Phone",
  tablet: "Tablet",
  smarttv: "TV",
  console: "Game console",
  wearable: "Wearable",
  embedded: "Embedded device",
};

/** Systems that ua-parser-js reports without a device type because they run on computers. */
const DESKTOP_SYSTEMS =
  /^(Windows|Mac OS|macOS|Linux|Ubuntu|Debian|Fedora|Arch|Mint|openSUSE|Red Hat|CentOS|Chrome OS|Chromium OS|FreeBSD|OpenBSD|NetBSD|Solaris)/;

/**
 * Name and type of the device behind a User-Agent, with a plain fallback.
 * Parsing costs ~20 µs, and a user's devices repeat on every page view:
 * memoised (bounded) by the user-agent string.
 *
 * @example
 * deviceDetails("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
 * // { name: "Firefox 128 on Ubuntu", type: "Computer" }
 */
export function deviceDetails(userAgent: string | null): DeviceDetails {
  if (!userAgent) return { name: "Unknown device", type: "Unknown device type" };
  const known = described.get(userAgent);
  if (known !== undefined) return known;
  const details = parse(userAgent);
  if (described.size >= 1000) described.clear();
  described.set(userAgent, details);
  return details;
}

/** "Firefox 128 on Ubuntu" from a User-Agent, or a plain fallback. */
export function describeDevice(userAgent: string | null): string {
  return deviceDetails(userAgent).name;
}

function parse(userAgent: string): DeviceDetails {
  const { browser, os, device } = new UAParser(userAgent).getResult();
  const type =
    (device.type && TYPES[device.type]) ??
    (os.name && DESKTOP_SYSTEMS.test(os.name) ? "Computer" : "Unknown device type");
  const name = browser.name ? `${browser.name}${browser.major ? ` ${browser.major}` : ""}` : null;
  const system = os.name
    ? `${os.name}${os.version && os.name !== "Mac OS" ? ` ${os.version}` : ""}`
    : null;
  const hardware = device.model
    ? `${device.vendor ? `${device.vendor} ` : ""}${device.model}`
    : null;
  if (!name && !system)
    return { name: userAgent.length > 60 ? `${userAgent.slice(0, 57)}…` : userAgent, type };
  return {
    name: [
      name ?? "Unknown browser",
      system || hardware ? `on ${[hardware, system].filter(Boolean).join(", ")}` : "",
    ]
      .filter(Boolean)
      .join(" "),
    type,
  };
}
