import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { User } from "../../src/accounts/user.js";
import { DAY, HOUR, makeEvent, makeUser, randomId, T0, uniqueEmail } from "../helpers/fixtures.js";
import { allEvents, expectNotRecorded, expectRecorded } from "./audit-assertions.js";
import type { ContractStores, MakeStores } from "./contract-stores.js";

/**
 * The `UserStore` contract, run unchanged against every backend. Uses only the
 * port interfaces: what a backend stores and how is its own business.
 */
export function describeUserStoreContract(name: string, makeStores: MakeStores): void {
  describe(`UserStore contract (${name})`, () => {
    let stores: ContractStores;

    beforeEach(async () => {
      stores = await makeStores();
    });
    afterEach(async () => {
      await stores.close();
    });

    const created = (user: User) => makeEvent("user.created", { userId: user.id, actor: user.id });

    async function createUser(overrides: Partial<User> = {}): Promise<User> {
      const user = makeUser(overrides);
      const stored = await stores.users.createUser(user, [created(user)]);
      expect(stored).toEqual(user);
      return user;
    }

    describe("createUser", () => {
      it("stores the user and commits its audit event", async () => {
        const user = makeUser({ role: "admin", createdAt: T0 + 5 });
        const event = created(user);
        expect(await stores.users.createUser(user, [event])).toEqual(user);
        expect(await stores.users.findUserById(user.id)).toEqual(user);
        await expectRecorded(stores.audit, [event]);
      });

      it("returns null for a taken email and writes neither the user nor its event", async () => {
        const first = await createUser();
        const dup = makeUser({ email: first.email });
        const event = created(dup);
        expect(await stores.users.createUser(dup, [event])).toBeNull();
        expect(await stores.users.findUserById(dup.id)).toBeNull();
        expect(await stores.users.findUserByEmail(first.email)).toEqual(first);
        await expectNotRecorded(stores.audit, [event]);
        expect(await allEvents(stores.audit)).toHaveLength(1);
      });

      it("of two concurrent creations with one email, exactly one wins", async () => {
        const email = uniqueEmail();
        const users = Array.from({ length: 8 }, () => makeUser({ email }));
        const events = users.map(created);
        const results = await Promise.all(
          users.map((u, i) => stores.users.createUser(u, [events[i]!])),
        );
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        expect(await stores.users.findUserByEmail(email)).toEqual(winners[0]);
        expect(await stores.audit.query({ type: "user.created", limit: 100 })).toHaveLength(1);
      });
    });

    describe("lookups", () => {
      it("finds a user by id and by email, and returns null for unknown ones", async () => {
        const user = await createUser();
        const other = await createUser();
        expect(await stores.users.findUserById(user.id)).toEqual(user);
        expect(await stores.users.findUserByEmail(user.email)).toEqual(user);
        expect(await stores.users.findUserByEmail(other.email)).toEqual(other);
        expect(await stores.users.findUserById(randomId())).toBeNull();
        expect(await stores.users.findUserByEmail(uniqueEmail())).toBeNull();
      });

      it("lists users oldest first, page by page with an `after` cursor", async () => {
        // Ids in an order unrelated to creation order, so sorting by id would show.
        const ids = ["m-user", "c-user", "x-user", "a-user", "q-user"];
        const users: User[] = [];
        for (const [i, id] of ids.entries())
          users.push(await createUser({ id, createdAt: T0 + i }));

        const page1 = await stores.users.listUsers({ limit: 2 });
        expect(page1.map((u) => u.id)).toEqual(["m-user", "c-user"]);
        const page2 = await stores.users.listUsers({ limit: 2, after: page1.at(-1)!.id });
        expect(page2.map((u) => u.id)).toEqual(["x-user", "a-user"]);
        const page3 = await stores.users.listUsers({ limit: 2, after: page2.at(-1)!.id });
        expect(page3).toEqual([users[4]]);
        expect(await stores.users.listUsers({ limit: 2, after: page3.at(-1)!.id })).toEqual([]);
        expect(await stores.users.listUsers({ limit: 10 })).toEqual(users);
        expect(await stores.users.listUsers({ limit: 0 })).toEqual([]);
      });

      it("searches by a plain email substring, paged like the full list", async () => {
        const emails = [
          "ann@corp.example",
          "bob@home.example",
          "cat@corp.example",
          "x%_y@corp.example",
        ];
        const users: User[] = [];
        for (const [i, email] of emails.entries())
          users.push(await createUser({ id: `u${i}`, email, createdAt: T0 + i }));
        const ids = async (o: Parameters<typeof stores.users.listUsers>[0]) =>
          (await stores.users.listUsers(o)).map((u) => u.id);

        expect(await ids({ limit: 10, emailContains: "@corp." })).toEqual(["u0", "u2", "u3"]);
        expect(await ids({ limit: 1, emailContains: "corp" })).toEqual(["u0"]);
        expect(await ids({ limit: 10, emailContains: "corp", after: "u0" })).toEqual(["u2", "u3"]);
        // No wildcards: `%` and `_` match only themselves.
        expect(await ids({ limit: 10, emailContains: "%" })).toEqual(["u3"]);
        expect(await ids({ limit: 10, emailContains: "_" })).toEqual(["u3"]);
        expect(await ids({ limit: 10, emailContains: "nobody" })).toEqual([]);
        expect(await stores.users.listUsers({ limit: 10, emailContains: "bob" })).toEqual([
          users[1],
        ]);
      });

      it("lists nothing in an empty store", async () => {
        expect(await stores.users.listUsers({ limit: 10 })).toEqual([]);
      });

      it("counts admins only", async () => {
        expect(await stores.users.countAdmins()).toBe(0);
        await createUser();
        expect(await stores.users.countAdmins()).toBe(0);
        await createUser({ role: "admin" });
        await createUser({ role: "admin" });
        expect(await stores.users.countAdmins()).toBe(2);
      });
    });

    describe("setPasswordHash", () => {
      it("replaces the hash and commits the events", async () => {
        const user = await createUser();
        const event = makeEvent("password.changed", { userId: user.id, actor: user.id });
        expect(await stores.users.setPasswordHash(user.id, "$argon2id$new", [event])).toBe(true);
        expect(await stores.users.findUserById(user.id)).toEqual({
          ...user,
          passwordHash: "$argon2id$new",
        });
        await expectRecorded(stores.audit, [event]);
      });

      it("returns false for an unknown user and writes no event", async () => {
        const event = makeEvent("password.changed", { userId: "nobody" });
        expect(await stores.users.setPasswordHash("nobody", "$argon2id$x", [event])).toBe(false);
        await expectNotRecorded(stores.audit, [event]);
      });
    });

    describe("disableUser", () => {
      it("disables once; a second call returns false and writes no event", async () => {
        const user = await createUser();
        const first = makeEvent("user.disabled", { userId: user.id, actor: "cli" });
        const second = makeEvent("user.disabled", { userId: user.id, actor: "cli" });
        expect(await stores.users.disableUser(user.id, T0 + HOUR, [first])).toBe(true);
        expect(await stores.users.disableUser(user.id, T0 + 2 * HOUR, [second])).toBe(false);
        expect((await stores.users.findUserById(user.id))?.disabledAt).toBe(T0 + HOUR);
        await expectRecorded(stores.audit, [first]);
        await expectNotRecorded(stores.audit, [second]);
      });

      it("returns false for an unknown user and writes no event", async () => {
        const event = makeEvent("user.disabled", { userId: "nobody" });
        expect(await stores.users.disableUser("nobody", T0, [event])).toBe(false);
        await expectNotRecorded(stores.audit, [event]);
      });

      it("leaves other users enabled", async () => {
        const user = await createUser();
        const other = await createUser();
        await stores.users.disableUser(user.id, T0, []);
        expect((await stores.users.findUserById(other.id))?.disabledAt).toBeNull();
      });
    });

    describe("setup token and first admin", () => {
      const tokenHash = () => randomId(32);
      const expiresAt = T0 + DAY;

      async function saveToken(hash: string, expiry = expiresAt) {
        const event = makeEvent("setup_link.issued", { actor: "system" });
        await stores.users.saveSetupToken(hash, expiry, [event]);
        return event;
      }

      function adminAttempt(overrides: Partial<User> = {}) {
        const admin = makeUser({ role: "admin", ...overrides });
        return { admin, event: created(admin) };
      }

      it("saving a setup token commits its event", async () => {
        const event = await saveToken(tokenHash());
        await expectRecorded(stores.audit, [event]);
      });

      it("creates the first admin with the right token, once", async () => {
        const hash = tokenHash();
        await saveToken(hash);
        const { admin, event } = adminAttempt();
        expect(await stores.users.createFirstAdmin(hash, T0 + HOUR, admin, [event])).toEqual(admin);
        expect(await stores.users.findUserById(admin.id)).toEqual(admin);
        expect(await stores.users.countAdmins()).toBe(1);
        await expectRecorded(stores.audit, [event]);

        // The token is used up: a second admin cannot be made with it.
        const again = adminAttempt();
        expect(
          await stores.users.createFirstAdmin(hash, T0 + HOUR, again.admin, [again.event]),
        ).toBeNull();
        expect(await stores.users.findUserById(again.admin.id)).toBeNull();
        expect(await stores.users.countAdmins()).toBe(1);
        await expectNotRecorded(stores.audit, [again.event]);
      });

      it("refuses a wrong token and leaves the right one usable", async () => {
        const hash = tokenHash();
        await saveToken(hash);
        const wrong = adminAttempt();
        expect(
          await stores.users.createFirstAdmin(tokenHash(), T0, wrong.admin, [wrong.event]),
        ).toBeNull();
        expect(await stores.users.findUserById(wrong.admin.id)).toBeNull();
        await expectNotRecorded(stores.audit, [wrong.event]);

        const right = adminAttempt();
        expect(await stores.users.createFirstAdmin(hash, T0, right.admin, [right.event])).toEqual(
          right.admin,
        );
      });

      it("refuses when no token was ever saved", async () => {
        const { admin, event } = adminAttempt();
        expect(await stores.users.createFirstAdmin(tokenHash(), T0, admin, [event])).toBeNull();
        expect(await stores.users.countAdmins()).toBe(0);
        await expectNotRecorded(stores.audit, [event]);
      });

      it("refuses an expired token", async () => {
        const hash = tokenHash();
        await saveToken(hash, expiresAt);
        const late = adminAttempt();
        expect(
          await stores.users.createFirstAdmin(hash, expiresAt + 1, late.admin, [late.event]),
        ).toBeNull();
        expect(await stores.users.findUserById(late.admin.id)).toBeNull();
        await expectNotRecorded(stores.audit, [late.event]);

        // Just before expiry it still works.
        const onTime = adminAttempt();
        expect(
          await stores.users.createFirstAdmin(hash, expiresAt - 1, onTime.admin, [onTime.event]),
        ).toEqual(onTime.admin);
      });

      it("a newer setup token replaces the earlier one", async () => {
        const oldHash = tokenHash();
        const newHash = tokenHash();
        await saveToken(oldHash);
        await saveToken(newHash);
        const viaOld = adminAttempt();
        expect(
          await stores.users.createFirstAdmin(oldHash, T0, viaOld.admin, [viaOld.event]),
        ).toBeNull();
        const viaNew = adminAttempt();
        expect(
          await stores.users.createFirstAdmin(newHash, T0, viaNew.admin, [viaNew.event]),
        ).toEqual(viaNew.admin);
      });

      it("of concurrent calls with one token, exactly one creates an admin", async () => {
        const hash = tokenHash();
        await saveToken(hash);
        const attempts = Array.from({ length: 6 }, () => adminAttempt());
        const results = await Promise.all(
          attempts.map((a) => stores.users.createFirstAdmin(hash, T0, a.admin, [a.event])),
        );
        const winners = results.filter((r) => r !== null);
        expect(winners).toHaveLength(1);
        expect(await stores.users.countAdmins()).toBe(1);
        const winner = attempts.find((a) => a.admin.id === winners[0]!.id)!;
        await expectRecorded(stores.audit, [winner.event]);
        await expectNotRecorded(
          stores.audit,
          attempts.filter((a) => a !== winner).map((a) => a.event),
        );
      });

      it("refuses when an admin already exists, even with a valid token", async () => {
        await createUser({ role: "admin" });
        const hash = tokenHash();
        await saveToken(hash);
        const { admin, event } = adminAttempt();
        expect(await stores.users.createFirstAdmin(hash, T0, admin, [event])).toBeNull();
        expect(await stores.users.findUserById(admin.id)).toBeNull();
        expect(await stores.users.countAdmins()).toBe(1);
        await expectNotRecorded(stores.audit, [event]);
      });

      it("refuses a taken email without using up the token", async () => {
        const existing = await createUser();
        const hash = tokenHash();
        await saveToken(hash);
        const clash = adminAttempt({ email: existing.email });
        expect(
          await stores.users.createFirstAdmin(hash, T0, clash.admin, [clash.event]),
        ).toBeNull();
        expect(await stores.users.findUserById(clash.admin.id)).toBeNull();
        expect(await stores.users.findUserByEmail(existing.email)).toEqual(existing);
        expect(await stores.users.countAdmins()).toBe(0);
        await expectNotRecorded(stores.audit, [clash.event]);

        const retry = adminAttempt();
        expect(await stores.users.createFirstAdmin(hash, T0, retry.admin, [retry.event])).toEqual(
          retry.admin,
        );
        await expectRecorded(stores.audit, [retry.event]);
      });
    });
  });
}
