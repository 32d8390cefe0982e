import { invalidField } from "@keyward/core/keyward-error.js";
import type { AppDependencies, KeywardApp } from "../../../app.js";
import { instantOf, presentAuditEntry } from "../../../audit-presenters.js";
import { AuditListQuery, AuditPageSchema } from "../../../audit-schemas.js";
import { principalOf } from "../../../auth.js";
import { problems } from "../../../route-kit.js";

/** GET /v1/audit: entries of the audit log, filtered, newest (or oldest) first, with cursor paging. */
export function registerListAuditEntries(app: KeywardApp, deps: AppDependencies): void {
  app.get(
    "/v1/audit",
    {
      config: { permission: "audit:read" },
      schema: {
        tags: ["audit"],
        summary: "List audit log entries",
        description:
          "Needs `audit:read`. Every change and admin action, newest first (`order=oldest` pages forward, as " +
          "exports do); follow `nextCursor` with the same order. A token limited to some projects sees only " +
          "their entries, and no instance-wide ones. `from` and `to` bound the time (`to` exclusive); " +
          "`count=true` adds `total`, the entries matching the filters.",
        querystring: AuditListQuery,
        response: { 200: AuditPageSchema, ...problems() },
      },
    },
    async (request) => {
      const { actorId, action, targetId, projectId, from, to, order, limit, cursor, count } = request.query;
      const fromMs = instantOf(from, "/from");
      const toMs = instantOf(to, "/to");
      if (fromMs !== undefined && toMs !== undefined && fromMs > toMs) {
        throw invalidField("/to", "must not be before from");
      }
      const page = await deps.audit.listEntries(principalOf(request), {
        ...(actorId === undefined ? {} : { actorId }),
        ...(action === undefined ? {} : { action }),
        ...(targetId === undefined ? {} : { targetId }),
        ...(projectId === undefined ? {} : { projectId }),
        ...(fromMs === undefined ? {} : { fromMs }),
        ...(toMs === undefined ? {} : { toMs }),
        ...(order === undefined ? {} : { order }),
        ...(limit === undefined ? {} : { limit }),
        ...(cursor === undefined ? {} : { cursor }),
        ...(count === undefined ? {} : { count }),
      });
      return {
        items: page.items.map(presentAuditEntry),
        nextCursor: page.nextCursor,
        ...(page.total === undefined ? {} : { total: page.total }),
      };
    },
  );
}
