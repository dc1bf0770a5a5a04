import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { OAuthClient } from "../../src/tokens/oauth-client.js";
import { makeEvent, randomId, T0 } from "../helpers/fixtures.js";
import { expectNotRecorded, expectRecorded } from "./audit-assertions.js";
import type { ContractStores, MakeStores } from "./contract-stores.js";

function makeClient(overrides: Partial<OAuthClient> = {}): OAuthClient {
  return {
    id: `rs-${randomId(6)}`,
    secretHash: randomId(32),
    createdAt: T0,
    disabledAt: null,
    ...overrides,
  };
}

const createdEvent = (client: OAuthClient) =>
  makeEvent("client.created", { actor: "cli", details: { clientId: client.id } });

/** The `ClientStore` contract, run unchanged against every backend. */
export function describeClientStoreContract(name: string, makeStores: MakeStores): void {
  describe(`ClientStore contract (${name})`, () => {
    let stores: ContractStores;

    beforeEach(async () => {
      stores = await makeStores();
    });
    afterEach(async () => {
      await stores.close();
    });

    it("creates a client, found by id with every field intact, with its event", async () => {
      const client = makeClient();
      const event = createdEvent(client);
      expect(await stores.clients.createClient(client, [event])).toBe(true);
      expect(await stores.clients.findClient(client.id)).toEqual(client);
      await expectRecorded(stores.audit, [event]);
      const disabled = makeClient({ disabledAt: T0 + 1 });
      expect(await stores.clients.createClient(disabled, [])).toBe(true);
      expect(await stores.clients.findClient(disabled.id)).toEqual(disabled);
    });

    it("refuses a taken id: false, the first client unchanged, no event", async () => {
      const client = makeClient();
      expect(await stores.clients.createClient(client, [])).toBe(true);
      const impostor = makeClient({ id: client.id, createdAt: T0 + 5 });
      const event = createdEvent(impostor);
      expect(await stores.clients.createClient(impostor, [event])).toBe(false);
      expect(await stores.clients.findClient(client.id)).toEqual(client);
      await expectNotRecorded(stores.audit, [event]);
    });

    it("of concurrent creations of one id, exactly one wins", async () => {
      const id = `rs-${randomId(6)}`;
      const attempts = Array.from({ length: 10 }, () => makeClient({ id }));
      const results = await Promise.all(
        attempts.map((client) => stores.clients.createClient(client, [createdEvent(client)])),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await stores.clients.findClient(id)).toEqual(attempts[results.indexOf(true)]);
      expect(await stores.audit.query({ type: "client.created", limit: 100 })).toHaveLength(1);
    });

    it("returns null for an unknown id", async () => {
      await stores.clients.createClient(makeClient(), []);
      expect(await stores.clients.findClient("nobody")).toBeNull();
    });
  });
}
