import type { FastifyRequest } from "fastify";
import { safeEqual, sha256 } from "../../shared/digest.js";
import { TesseraError } from "../../shared/errors.js";
import type { ClientStore, OAuthClient } from "../../tokens/oauth-client.js";

/**
 * HTTP Basic client authentication (RFC 6749 §2.3.1): id and secret are
 * form-urlencoded, then base64'd. Throws `invalid_client` (401) on anything
 * but a known, enabled client with the right secret.
 */
export async function authenticateClient(
  request: FastifyRequest,
  clients: ClientStore,
): Promise<OAuthClient> {
  const header = request.headers.authorization ?? "";
  const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header);
  if (!match) throw new TesseraError("invalid_client");
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 1) throw new TesseraError("invalid_client");
  let id: string;
  let secret: string;
  try {
    id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, " "));
    secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, " "));
  } catch {
    throw new TesseraError("invalid_client");
  }
  const client = id.length <= 64 ? await clients.findClient(id) : null;
  // Hash even for unknown ids, so timing does not reveal which ids exist.
  const presented = sha256(secret);
  if (!client || client.disabledAt !== null || !safeEqual(presented, client.secretHash)) {
    throw new TesseraError("invalid_client");
  }
  return client;
}
