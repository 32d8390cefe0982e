import { randomBytes } from "node:crypto";
import type { RoleBinding } from "@keyward/core/roles.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { auditEntry, systemActor } from "../audit/audit-entry.js";
import type { ChangeEffect, ProjectRecord } from "./records.js";
import { collectPages, StoreFixtures, T0 } from "./store-fixtures.js";
import type { Stores } from "./stores.js";
import type { InvitationRecord, NewUser, SessionRecord, UserRecord, UserStore } from "./user-store.js";

/**
 * The one suite every {@link UserStore} implementation must pass. `open` returns a new, empty {@link Stores}
 * bundle that has not been migrated yet; the suite migrates and closes it.
 */
export function describeUserStoreConformance(name: string, open: () => Promise<Stores>): void {
  describe(`UserStore conformance: ${name}`, () => {
    let stores: Stores;
    let store: UserStore;
    let fx: StoreFixtures;
    let project: ProjectRecord;

    beforeEach(async () => {
      stores = await open();
      await stores.keys.migrate();
      store = stores.users;
      fx = new StoreFixtures(stores);
      project = await fx.createProject();
    });

    afterEach(async () => {
      await stores.keys.close();
    });

    /** A user with a password unless `passwordHash` is null; ids and emails sort in creation order. */
    function makeUser(
      overrides: Partial<UserRecord> = {},
      passwordHash: string | null = "$argon2id$v=19$hash",
    ): NewUser {
      const now = fx.nextTime();
      return {
        record: {
          id: `usr_${String(now).padStart(22, "0")}`,
          email: `user${now}@example.com`,
          name: `User ${now}`,
          roles: [{ role: "developer", projectId: project.id }],
          twoFactorEnabled: false,
          hasPassword: passwordHash !== null,
          createdBy: "tok_admin",
          createdAt: now,
          updatedAt: now,
          ...overrides,
        },
        passwordHash,
      };
    }

    async function createUser(overrides: Partial<UserRecord> = {}): Promise<UserRecord> {
      const user = makeUser(overrides);
      await store.createUser(user);
      return user.record;
    }

    function makeSession(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
      const now = fx.nextTime();
      return {
        id: `ses_${String(now).padStart(22, "0")}`,
        userId,
        kind: "browser",
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + 3_600_000,
        secondFactorAt: null,
        revokedAt: null,
        sourceIp: "203.0.113.7",
        userAgent: "Mozilla/5.0",
        ...overrides,
      };
    }

    function makeInvitation(overrides: Partial<InvitationRecord> = {}): InvitationRecord {
      const now = fx.nextTime();
      return {
        id: `inv_${String(now).padStart(22, "0")}`,
        email: `invitee${now}@example.com`,
        role: "viewer",
        projectId: project.id,
        createdBy: "usr_admin",
        createdAt: now,
        expiresAt: now + 86_400_000,
        acceptedAt: null,
        ...overrides,
      };
    }

    /** A confirmed TOTP enrolment at `step`, with the given recovery code digests. */
    async function enrol(userId: string, step: number, codes: readonly Buffer[] = []): Promise<void> {
      expect(await store.startTotpEnrolment(userId, `{"sealed":"${userId}"}`, fx.nextTime())).toBe(true);
      expect(
        await store.confirmTotp(userId, { step, nowMs: fx.nextTime(), recoveryCodeDigests: codes }),
      ).toBe(true);
    }

    /**
     * Runs `call` `times` at once. A pooled store first opens a connection per call (by as many reads at once), so
     * the calls really overlap instead of queueing behind the pool's first connection.
     */
    async function atOnce<T>(times: number, call: (index: number) => Promise<T>): Promise<T[]> {
      await Promise.all(Array.from({ length: times }, () => store.countUsers()));
      return Promise.all(Array.from({ length: times }, (_, index) => call(index)));
    }

    function digest(): Buffer {
      return randomBytes(32);
    }

    /** An audit entry as a change's effect; the audit head's seq tells whether it was written. */
    function entry(action: string): ChangeEffect {
      return auditEntry(
        systemActor("conformance"),
        { action, target: { type: "user", id: "usr_x" }, projectId: null },
        fx.nextTime(),
      );
    }

    async function auditSeq(): Promise<number> {
      return (await stores.audit.auditHead()).seq;
    }

    describe("users", () => {
      it("creates a user with its roles and effects, and reads it back by id and by exact email", async () => {
        const other = await fx.createProject();
        const user = makeUser({
          email: "ada@example.com",
          roles: [
            { role: "auditor", projectId: null },
            { role: "developer", projectId: project.id },
            { role: "viewer", projectId: other.id },
          ],
        });
        expect(await store.countUsers()).toBe(0);
        await store.createUser(user, [entry("user.created")]);

        expect(await store.countUsers()).toBe(1);
        expect(await store.findUser(user.record.id)).toEqual(user.record);
        const credentials = {
          user: user.record,
          passwordHash: "$argon2id$v=19$hash",
          passwordChangedAt: user.record.createdAt,
          totpSealedSecret: null,
          totpConfirmedAt: null,
          totpLastStep: null,
        };
        expect(await store.findCredentials(user.record.id)).toEqual(credentials);
        expect(await store.findCredentialsByEmail("ada@example.com")).toEqual(credentials);
        // The caller lowercases; the store compares exactly.
        expect(await store.findCredentialsByEmail("Ada@example.com")).toBeNull();
        expect(await store.findUser("usr_missing")).toBeNull();
        expect(await store.findCredentials("usr_missing")).toBeNull();
        expect(await auditSeq()).toBe(1);
      });

      it("creates an invited user without a password and without roles", async () => {
        const user = makeUser({ roles: [] }, null);
        await store.createUser(user);
        expect(await store.findUser(user.record.id)).toEqual({
          ...user.record,
          hasPassword: false,
          roles: [],
        });
        expect(await store.findCredentials(user.record.id)).toMatchObject({
          passwordHash: null,
          passwordChangedAt: null,
        });
      });

      it("refuses a taken email (CONFLICT) with no user, no roles and no effects written", async () => {
        await createUser({ email: "taken@example.com" });
        const twin = makeUser({ email: "taken@example.com" });
        await expect(store.createUser(twin, [entry("user.created")])).rejects.toMatchObject({
          code: "CONFLICT",
        });
        expect(await store.findUser(twin.record.id)).toBeNull();
        expect(await store.countUsers()).toBe(1);
        expect(await auditSeq()).toBe(0);
      });

      it("refuses two roles in one scope, or a role in a project that does not exist (CONFLICT, nothing created)", async () => {
        const twice = makeUser({
          roles: [
            { role: "developer", projectId: project.id },
            { role: "viewer", projectId: project.id },
          ],
        });
        await expect(store.createUser(twice)).rejects.toMatchObject({ code: "CONFLICT" });
        const twiceWide = makeUser({
          roles: [
            { role: "admin", projectId: null },
            { role: "viewer", projectId: null },
          ],
        });
        await expect(store.createUser(twiceWide)).rejects.toMatchObject({ code: "CONFLICT" });
        const nowhere = makeUser({ roles: [{ role: "viewer", projectId: "proj_missing" }] });
        await expect(store.createUser(nowhere)).rejects.toMatchObject({ code: "CONFLICT" });
        expect(await store.countUsers()).toBe(0);
      });

      it("lists users in id order page by page, roles included, and filters by project or instance-wide binding", async () => {
        const other = await fx.createProject();
        const mine = await createUser({ roles: [{ role: "developer", projectId: project.id }] });
        const everywhere = await createUser({ roles: [{ role: "admin", projectId: null }] });
        const theirs = await createUser({ roles: [{ role: "viewer", projectId: other.id }] });
        const both = await createUser({
          // Project ids sort in creation order: the order the store returns bindings in.
          roles: [
            { role: "viewer", projectId: project.id },
            { role: "developer", projectId: other.id },
          ],
        });
        const none = await createUser({ roles: [] });
        const all = [mine, everywhere, theirs, both, none];

        const pages = await collectPages((after) =>
          store.listUsers({ limit: 2, ...(after === undefined ? {} : { after }) }),
        );
        expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
        expect(pages.flat()).toEqual(all);
        expect(await store.listUsers({ limit: 10, projectIds: null })).toEqual(all);
        expect(await store.listUsers({ limit: 10, projectIds: [project.id] })).toEqual([
          mine,
          everywhere,
          both,
        ]);
        expect(await store.listUsers({ limit: 10, projectIds: [other.id] })).toEqual([
          everywhere,
          theirs,
          both,
        ]);
        expect(await store.listUsers({ limit: 1, projectIds: [project.id], after: mine.id })).toEqual([
          everywhere,
        ]);
        expect(await store.listUsers({ limit: 10, projectIds: [] })).toEqual([]);
        // No record carries a hash or a secret.
        for (const user of pages.flat()) {
          expect(Object.keys(user).sort()).toEqual(
            [
              "createdAt",
              "createdBy",
              "email",
              "hasPassword",
              "id",
              "name",
              "roles",
              "twoFactorEnabled",
              "updatedAt",
            ].sort(),
          );
        }
      });

      it("updates name and email with effects built from the new record; absent fields stay", async () => {
        const user = await createUser();
        const at = fx.nextTime();
        const seen: UserRecord[] = [];
        const renamed = await store.updateUser(user.id, { name: "Grace" }, at, (record) => {
          seen.push(record);
          return [entry("user.updated")];
        });
        expect(renamed).toEqual({ ...user, name: "Grace", updatedAt: at });
        expect(seen).toEqual([renamed]);
        const later = fx.nextTime();
        const moved = await store.updateUser(user.id, { email: "grace@example.com" }, later);
        expect(moved).toEqual({ ...user, name: "Grace", email: "grace@example.com", updatedAt: later });
        expect(await store.findCredentialsByEmail("grace@example.com")).toMatchObject({ user: moved });
        expect(await store.findCredentialsByEmail(user.email)).toBeNull();
        expect(await auditSeq()).toBe(1);
      });

      it("refuses an update to a taken email (CONFLICT, unchanged, no effects) and returns null for an unknown id", async () => {
        const first = await createUser();
        const second = await createUser();
        await expect(
          store.updateUser(second.id, { email: first.email, name: "x" }, fx.nextTime(), () => [entry("x")]),
        ).rejects.toMatchObject({ code: "CONFLICT" });
        expect(await store.findUser(second.id)).toEqual(second);
        expect(
          await store.updateUser("usr_missing", { name: "x" }, fx.nextTime(), () => [entry("x")]),
        ).toBeNull();
        expect(await auditSeq()).toBe(0);
      });

      it("setUserRoles() replaces every binding at once, instance-wide first then by project", async () => {
        const other = await fx.createProject();
        const user = await createUser({ roles: [{ role: "developer", projectId: project.id }] });
        const at = fx.nextTime();
        const seen: UserRecord[] = [];
        const roles: RoleBinding[] = [
          { role: "viewer", projectId: other.id },
          { role: "auditor", projectId: null },
        ];
        const updated = await store.setUserRoles(user.id, roles, at, (record) => {
          seen.push(record);
          return [entry("user.roles_changed")];
        });
        const expected = {
          ...user,
          roles: [
            { role: "auditor", projectId: null },
            { role: "viewer", projectId: other.id },
          ],
          updatedAt: at,
        };
        expect(updated).toEqual(expected);
        expect(seen).toEqual([expected]);
        expect(await store.findUser(user.id)).toEqual(expected);
        // The same scope again with another role: a replacement, not a conflict with the old binding.
        const again = await store.setUserRoles(user.id, [{ role: "owner", projectId: null }], fx.nextTime());
        expect(again?.roles).toEqual([{ role: "owner", projectId: null }]);
        const cleared = await store.setUserRoles(user.id, [], fx.nextTime());
        expect(cleared?.roles).toEqual([]);
        expect(await auditSeq()).toBe(1);
      });

      it("setUserRoles() refuses two bindings of one scope (CONFLICT) and keeps the old ones; null for an unknown id", async () => {
        const user = await createUser({ roles: [{ role: "developer", projectId: project.id }] });
        await expect(
          store.setUserRoles(
            user.id,
            [
              { role: "viewer", projectId: project.id },
              { role: "admin", projectId: project.id },
            ],
            fx.nextTime(),
            () => [entry("x")],
          ),
        ).rejects.toMatchObject({ code: "CONFLICT" });
        expect(await store.findUser(user.id)).toEqual(user);
        expect(await store.setUserRoles("usr_missing", [], fx.nextTime(), () => [entry("x")])).toBeNull();
        expect(await auditSeq()).toBe(0);
      });

      it("deletes a user once with its roles, sessions and recovery codes; other users keep theirs", async () => {
        const user = await createUser();
        const kept = await createUser();
        const code = digest();
        await enrol(user.id, 1, [code]);
        const sessionDigest = digest();
        const session = makeSession(user.id);
        await store.createSession(session, sessionDigest);
        const keptSession = makeSession(kept.id);
        await store.createSession(keptSession, digest());
        const before = await store.findUser(user.id);

        const seen: UserRecord[] = [];
        const deleted = await store.deleteUser(user.id, (record) => {
          seen.push(record);
          return [entry("user.deleted")];
        });
        expect(deleted).toEqual(before);
        expect(seen).toEqual([before]);
        expect(await store.findUser(user.id)).toBeNull();
        expect(await store.findSession(session.id)).toBeNull();
        expect(await store.findSessionByDigest(sessionDigest)).toBeNull();
        expect(await store.listSessions(user.id)).toEqual([]);
        expect(await store.countUnusedRecoveryCodes(user.id)).toBe(0);
        expect(await store.deleteUser(user.id, () => [entry("user.deleted")])).toBeNull();
        expect(await auditSeq()).toBe(1);

        // The same id again starts with nothing: no role or code of the old user survived.
        await store.createUser({ record: { ...user, roles: [] }, passwordHash: null });
        expect((await store.findUser(user.id))?.roles).toEqual([]);
        expect(await store.useRecoveryCode(user.id, code, fx.nextTime())).toBe(false);
        expect(await store.findSession(keptSession.id)).toEqual(keptSession);
        expect(await store.findUser(kept.id)).toEqual(kept);
      });

      it("sets a new password (changed time, updated time, effects) and a rehash without touching the times", async () => {
        const invited = makeUser({}, null);
        await store.createUser(invited);
        const at = fx.nextTime();
        expect(
          await store.setPasswordHash(
            invited.record.id,
            "$argon2id$new",
            { nowMs: at, passwordChanged: true },
            [entry("user.password_changed")],
          ),
        ).toBe(true);
        const afterSet = await store.findCredentials(invited.record.id);
        expect(afterSet).toMatchObject({
          passwordHash: "$argon2id$new",
          passwordChangedAt: at,
          user: { hasPassword: true, updatedAt: at },
        });

        expect(
          await store.setPasswordHash(invited.record.id, "$argon2id$rehash", {
            nowMs: fx.nextTime(),
            passwordChanged: false,
          }),
        ).toBe(true);
        expect(await store.findCredentials(invited.record.id)).toEqual({
          ...afterSet,
          passwordHash: "$argon2id$rehash",
        });
        expect(
          await store.setPasswordHash("usr_missing", "h", { nowMs: fx.nextTime(), passwordChanged: true }, [
            entry("x"),
          ]),
        ).toBe(false);
        expect(await auditSeq()).toBe(1);
      });
    });

    describe("TOTP and recovery codes", () => {
      it("enrols: a pending secret, then confirmed with its step, its codes and effects", async () => {
        const user = await createUser();
        const startedAt = fx.nextTime();
        expect(await store.startTotpEnrolment(user.id, "sealed-1", startedAt)).toBe(true);
        // Restarting a pending enrolment replaces its secret.
        expect(await store.startTotpEnrolment(user.id, "sealed-2", fx.nextTime())).toBe(true);
        expect(await store.findCredentials(user.id)).toMatchObject({
          user: { twoFactorEnabled: false },
          totpSealedSecret: "sealed-2",
          totpConfirmedAt: null,
          totpLastStep: null,
        });
        // A pending secret accepts no code yet.
        expect(await store.useTotpStep(user.id, 10)).toBe(false);

        const at = fx.nextTime();
        const codes = [digest(), digest(), digest()];
        expect(
          await store.confirmTotp(user.id, { step: 10, nowMs: at, recoveryCodeDigests: codes }, [
            entry("user.2fa_enabled"),
          ]),
        ).toBe(true);
        expect(await store.findCredentials(user.id)).toMatchObject({
          user: { twoFactorEnabled: true, updatedAt: at },
          totpSealedSecret: "sealed-2",
          totpConfirmedAt: at,
          totpLastStep: 10,
        });
        expect((await store.findUser(user.id))?.twoFactorEnabled).toBe(true);
        expect(await store.countUnusedRecoveryCodes(user.id)).toBe(3);
        expect(await auditSeq()).toBe(1);
      });

      it("refuses a new enrolment once one is confirmed, and a confirmation without a pending one", async () => {
        const user = await createUser();
        expect(
          await store.confirmTotp(
            user.id,
            { step: 1, nowMs: fx.nextTime(), recoveryCodeDigests: [digest()] },
            [entry("x")],
          ),
        ).toBe(false);
        expect(await store.countUnusedRecoveryCodes(user.id)).toBe(0);
        await enrol(user.id, 5);
        const before = await store.findCredentials(user.id);
        expect(await store.startTotpEnrolment(user.id, "attacker", fx.nextTime())).toBe(false);
        expect(
          await store.confirmTotp(user.id, { step: 6, nowMs: fx.nextTime(), recoveryCodeDigests: [] }, [
            entry("x"),
          ]),
        ).toBe(false);
        expect(await store.findCredentials(user.id)).toEqual(before);
        expect(await store.startTotpEnrolment("usr_missing", "s", fx.nextTime())).toBe(false);
        expect(await auditSeq()).toBe(0);
      });

      it("useTotpStep() accepts only steps newer than the last one used: a replay or an older step is refused", async () => {
        const user = await createUser();
        await enrol(user.id, 100);
        expect(await store.useTotpStep(user.id, 100)).toBe(false);
        expect(await store.useTotpStep(user.id, 99)).toBe(false);
        expect(await store.useTotpStep(user.id, 101)).toBe(true);
        expect(await store.useTotpStep(user.id, 101)).toBe(false);
        expect(await store.useTotpStep(user.id, 103)).toBe(true);
        expect(await store.useTotpStep(user.id, 102)).toBe(false);
        expect((await store.findCredentials(user.id))?.totpLastStep).toBe(103);
        expect(await store.useTotpStep("usr_missing", 200)).toBe(false);
      });

      it("useTotpStep() called at once with the same step succeeds exactly once", async () => {
        const user = await createUser();
        await enrol(user.id, 1);
        const results = await atOnce(8, () => store.useTotpStep(user.id, 2));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect((await store.findCredentials(user.id))?.totpLastStep).toBe(2);
      });

      it("disables: secret, step and codes removed with effects, once; then a new enrolment starts over", async () => {
        const user = await createUser();
        const old = digest();
        await enrol(user.id, 50, [old]);
        const at = fx.nextTime();
        expect(await store.disableTotp(user.id, at, [entry("user.2fa_disabled")])).toBe(true);
        expect(await store.findCredentials(user.id)).toMatchObject({
          user: { twoFactorEnabled: false, updatedAt: at },
          totpSealedSecret: null,
          totpConfirmedAt: null,
          totpLastStep: null,
        });
        expect(await store.countUnusedRecoveryCodes(user.id)).toBe(0);
        expect(await store.useRecoveryCode(user.id, old, fx.nextTime())).toBe(false);
        expect(await store.useTotpStep(user.id, 51)).toBe(false);
        expect(await store.disableTotp(user.id, fx.nextTime(), [entry("x")])).toBe(false);
        expect(await store.disableTotp("usr_missing", fx.nextTime(), [entry("x")])).toBe(false);
        expect(await auditSeq()).toBe(1);

        await enrol(user.id, 7, [digest()]);
        expect(await store.useTotpStep(user.id, 8)).toBe(true);
        expect(await store.countUnusedRecoveryCodes(user.id)).toBe(1);
      });

      it("disables a pending enrolment too", async () => {
        const user = await createUser();
        expect(await store.startTotpEnrolment(user.id, "pending", fx.nextTime())).toBe(true);
        expect(await store.disableTotp(user.id, fx.nextTime())).toBe(true);
        expect((await store.findCredentials(user.id))?.totpSealedSecret).toBeNull();
      });

      it("uses a recovery code once, only the user's own, and a new confirmation replaces every old code", async () => {
        const user = await createUser();
        const other = await createUser();
        const [first, second] = [digest(), digest()];
        const theirs = digest();
        await enrol(user.id, 1, [first, second]);
        await enrol(other.id, 1, [theirs]);

        expect(await store.useRecoveryCode(user.id, first, fx.nextTime())).toBe(true);
        expect(await store.useRecoveryCode(user.id, first, fx.nextTime())).toBe(false);
        expect(await store.countUnusedRecoveryCodes(user.id)).toBe(1);
        expect(await store.useRecoveryCode(user.id, theirs, fx.nextTime())).toBe(false);
        expect(await store.useRecoveryCode(user.id, digest(), fx.nextTime())).toBe(false);
        expect(await store.countUnusedRecoveryCodes(other.id)).toBe(1);

        // Re-enrolling (after disabling) issues new codes; the unused old one stops working.
        await store.disableTotp(user.id, fx.nextTime());
        const fresh = digest();
        await enrol(user.id, 2, [fresh]);
        expect(await store.useRecoveryCode(user.id, second, fx.nextTime())).toBe(false);
        expect(await store.useRecoveryCode(user.id, fresh, fx.nextTime())).toBe(true);
      });

      it("useRecoveryCode() called at once with the same code succeeds exactly once", async () => {
        const user = await createUser();
        const code = digest();
        await enrol(user.id, 1, [code, digest()]);
        const results = await atOnce(8, () => store.useRecoveryCode(user.id, code, fx.nextTime()));
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.countUnusedRecoveryCodes(user.id)).toBe(1);
      });
    });

    describe("sessions", () => {
      it("creates a session with its effects and finds it by id and by secret digest only", async () => {
        const user = await createUser();
        const secret = digest();
        const session = makeSession(user.id, { kind: "cli", sourceIp: null, userAgent: null });
        await store.createSession(session, secret, [entry("session.created")]);
        expect(await store.findSession(session.id)).toEqual(session);
        expect(await store.findSessionByDigest(secret)).toEqual(session);
        expect(await store.findSessionByDigest(digest())).toBeNull();
        expect(await store.findSession("ses_missing")).toBeNull();
        expect(await auditSeq()).toBe(1);
      });

      it("refuses a session of an unknown user or a secret digest twice (CONFLICT, no effects)", async () => {
        const user = await createUser();
        const secret = digest();
        await store.createSession(makeSession(user.id), secret);
        await expect(store.createSession(makeSession(user.id), secret, [entry("x")])).rejects.toMatchObject({
          code: "CONFLICT",
        });
        await expect(
          store.createSession(makeSession("usr_missing"), digest(), [entry("x")]),
        ).rejects.toMatchObject({ code: "CONFLICT" });
        expect(await auditSeq()).toBe(0);
      });

      it("touchSession() moves lastSeenAt forward only; recordSecondFactor() records the latest second factor", async () => {
        const user = await createUser();
        const session = makeSession(user.id);
        await store.createSession(session, digest());
        const later = session.lastSeenAt + 60_000;
        await store.touchSession(session.id, later);
        expect((await store.findSession(session.id))?.lastSeenAt).toBe(later);
        await store.touchSession(session.id, later - 30_000);
        expect((await store.findSession(session.id))?.lastSeenAt).toBe(later);

        await store.recordSecondFactor(session.id, later);
        expect((await store.findSession(session.id))?.secondFactorAt).toBe(later);
        await store.recordSecondFactor(session.id, later - 1);
        expect(await store.findSession(session.id)).toEqual({
          ...session,
          lastSeenAt: later,
          secondFactorAt: later,
        });
        // Unknown ids change nothing and do not throw.
        await store.touchSession("ses_missing", later);
        await store.recordSecondFactor("ses_missing", later);
      });

      it("revokes a session once: the first call writes the effects, later calls return it unchanged", async () => {
        const user = await createUser();
        const session = makeSession(user.id);
        await store.createSession(session, digest());
        const at = fx.nextTime();
        const seen: SessionRecord[] = [];
        const revoked = await store.revokeSession(session.id, at, (record) => {
          seen.push(record);
          return [entry("session.revoked")];
        });
        expect(revoked).toEqual({ ...session, revokedAt: at });
        expect(seen).toEqual([revoked]);
        expect(await store.revokeSession(session.id, fx.nextTime(), () => [entry("x")])).toEqual(revoked);
        expect(await store.revokeSession("ses_missing", fx.nextTime(), () => [entry("x")])).toBeNull();
        expect(await auditSeq()).toBe(1);
      });

      it("revokeUserSessions() revokes the user's live sessions only and counts them", async () => {
        const user = await createUser();
        const other = await createUser();
        const live = [makeSession(user.id), makeSession(user.id, { kind: "cli" })];
        // Ended before every time the fixtures hand out.
        const expired = makeSession(user.id, { expiresAt: T0 });
        const revoked = makeSession(user.id, { revokedAt: T0 });
        const theirs = makeSession(other.id);
        for (const s of [...live, expired, revoked, theirs]) await store.createSession(s, digest());

        const at = fx.nextTime();
        expect(await store.revokeUserSessions(user.id, at)).toBe(2);
        for (const s of live) expect((await store.findSession(s.id))?.revokedAt).toBe(at);
        expect(await store.findSession(expired.id)).toEqual(expired);
        expect(await store.findSession(revoked.id)).toEqual(revoked);
        expect(await store.findSession(theirs.id)).toEqual(theirs);
        expect(await store.revokeUserSessions(user.id, fx.nextTime())).toBe(0);
      });

      it("lists a user's sessions newest first, revoked and expired ones included", async () => {
        const user = await createUser();
        const other = await createUser();
        const oldest = makeSession(user.id, { expiresAt: T0 });
        const middle = makeSession(user.id, { revokedAt: T0 });
        const newest = makeSession(user.id);
        for (const s of [middle, newest, oldest]) await store.createSession(s, digest());
        await store.createSession(makeSession(other.id), digest());
        expect(await store.listSessions(user.id)).toEqual([newest, middle, oldest]);
        expect(await store.listSessions("usr_missing")).toEqual([]);
      });

      it("pruneSessions() deletes sessions that ended (expired or revoked) before the cut-off and counts them", async () => {
        const user = await createUser();
        const cutoff = fx.nextTime() + 1_000_000;
        const expiredBefore = makeSession(user.id, { expiresAt: cutoff - 1 });
        const revokedBefore = makeSession(user.id, { expiresAt: cutoff + 100, revokedAt: cutoff - 1 });
        const expiresAfter = makeSession(user.id, { expiresAt: cutoff + 1 });
        const revokedAfter = makeSession(user.id, { expiresAt: cutoff + 100, revokedAt: cutoff + 1 });
        const live = makeSession(user.id, { expiresAt: cutoff + 100 });
        for (const s of [expiredBefore, revokedBefore, expiresAfter, revokedAfter, live]) {
          await store.createSession(s, digest());
        }
        expect(await store.pruneSessions(cutoff)).toBe(2);
        expect((await store.listSessions(user.id)).map((s) => s.id).sort()).toEqual(
          [expiresAfter.id, revokedAfter.id, live.id].sort(),
        );
        expect(await store.pruneSessions(cutoff)).toBe(0);
      });
    });

    describe("invitations", () => {
      it("creates an invitation with its effects and finds it by secret digest only", async () => {
        const invitation = makeInvitation({ role: "developer", projectId: null, createdBy: null });
        const secret = digest();
        await store.createInvitation(invitation, secret, [entry("user.invited")]);
        expect(await store.findInvitationByDigest(secret)).toEqual(invitation);
        expect(await store.findInvitationByDigest(digest())).toBeNull();
        expect(await auditSeq()).toBe(1);
      });

      it("accepts an invitation once by creating its user with effects; a second acceptance is refused", async () => {
        const invitation = makeInvitation();
        const secret = digest();
        await store.createInvitation(invitation, secret);
        const at = fx.nextTime();
        const user = makeUser({
          email: invitation.email,
          roles: [{ role: invitation.role, projectId: invitation.projectId }],
        });
        expect(
          await store.acceptInvitation(invitation.id, user, at, [entry("user.invitation_accepted")]),
        ).toBe(true);
        expect(await store.findInvitationByDigest(secret)).toEqual({ ...invitation, acceptedAt: at });
        expect(await store.findUser(user.record.id)).toEqual(user.record);

        const again = makeUser({ email: "other@example.com" });
        expect(await store.acceptInvitation(invitation.id, again, fx.nextTime(), [entry("x")])).toBe(false);
        expect(await store.findUser(again.record.id)).toBeNull();
        expect(await store.acceptInvitation("inv_missing", makeUser(), fx.nextTime(), [entry("x")])).toBe(
          false,
        );
        expect(await auditSeq()).toBe(1);
      });

      it("refuses an expired invitation (at its expiry or later) and creates no user", async () => {
        const invitation = makeInvitation();
        const secret = digest();
        await store.createInvitation(invitation, secret);
        const user = makeUser({ email: invitation.email });
        expect(await store.acceptInvitation(invitation.id, user, invitation.expiresAt, [entry("x")])).toBe(
          false,
        );
        expect(await store.acceptInvitation(invitation.id, user, invitation.expiresAt + 1)).toBe(false);
        expect(await store.findUser(user.record.id)).toBeNull();
        expect((await store.findInvitationByDigest(secret))?.acceptedAt).toBeNull();
        expect(await auditSeq()).toBe(0);
        // Just before its expiry it still works.
        expect(await store.acceptInvitation(invitation.id, user, invitation.expiresAt - 1)).toBe(true);
      });

      it("a taken email fails the acceptance (CONFLICT) and leaves the invitation unaccepted", async () => {
        const taken = await createUser();
        const invitation = makeInvitation({ email: taken.email });
        const secret = digest();
        await store.createInvitation(invitation, secret);
        await expect(
          store.acceptInvitation(invitation.id, makeUser({ email: taken.email }), fx.nextTime(), [
            entry("x"),
          ]),
        ).rejects.toMatchObject({ code: "CONFLICT" });
        expect((await store.findInvitationByDigest(secret))?.acceptedAt).toBeNull();
        expect(await auditSeq()).toBe(0);
        expect(await store.acceptInvitation(invitation.id, makeUser(), fx.nextTime())).toBe(true);
      });

      it("acceptInvitation() called at once succeeds exactly once and creates exactly one user", async () => {
        const invitation = makeInvitation();
        await store.createInvitation(invitation, digest());
        const users = Array.from({ length: 6 }, () => makeUser({ email: invitation.email }));
        const at = fx.nextTime();
        const results = await atOnce(users.length, (i) =>
          store.acceptInvitation(invitation.id, users[i] ?? makeUser(), at),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await store.countUsers()).toBe(1);
      });
    });
  });
}
