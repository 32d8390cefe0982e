import type { AppDependencies, KeywardApp } from "./app.js";
import { registerHealth } from "./routes/health.js";
import { registerMetrics } from "./routes/metrics.js";
import { registerOpenApi } from "./routes/openapi.js";
import { registerAcknowledgeAlert } from "./routes/v1/alerts/acknowledge.js";
import { registerListAlerts } from "./routes/v1/alerts/list.js";
import { registerCreateAuditCheckpoint } from "./routes/v1/audit/create-checkpoint.js";
import { registerListAuditEntries } from "./routes/v1/audit/list.js";
import { registerExportAuditCheckpoints } from "./routes/v1/audit/list-checkpoints.js";
import { registerVerifyAuditLog } from "./routes/v1/audit/verify.js";
import { registerVerifyAuditLogAgainst } from "./routes/v1/audit/verify-against.js";
import { registerAcceptInvitation } from "./routes/v1/auth/accept-invitation.js";
import { registerListSessions } from "./routes/v1/auth/list-sessions.js";
import { registerLogin } from "./routes/v1/auth/login.js";
import { registerLogout } from "./routes/v1/auth/logout.js";
import { registerRevokeSession } from "./routes/v1/auth/revoke-session.js";
import { registerStepUp } from "./routes/v1/auth/step-up.js";
import { registerCreateIdentity } from "./routes/v1/identities/create.js";
import { registerDeleteIdentity } from "./routes/v1/identities/delete.js";
import { registerGetIdentity } from "./routes/v1/identities/get.js";
import { registerListIdentities } from "./routes/v1/identities/list.js";
import { registerUpdateIdentity } from "./routes/v1/identities/update.js";
import { registerCreateKey } from "./routes/v1/keys/create.js";
import { registerDeleteKey } from "./routes/v1/keys/delete.js";
import { registerGetKey } from "./routes/v1/keys/get.js";
import { registerImportKeys } from "./routes/v1/keys/import.js";
import { registerListKeys } from "./routes/v1/keys/list.js";
import { registerAdjustQuota } from "./routes/v1/keys/quota.js";
import { registerRevealKey } from "./routes/v1/keys/reveal.js";
import { registerRevokeKey } from "./routes/v1/keys/revoke.js";
import { registerRevokeKeys } from "./routes/v1/keys/revoke-many.js";
import { registerRotateKey } from "./routes/v1/keys/rotate.js";
import { registerUpdateKey } from "./routes/v1/keys/update.js";
import { registerKeyUsage } from "./routes/v1/keys/usage.js";
import { registerVerifyKey } from "./routes/v1/keys/verify.js";
import { registerCreatePermission } from "./routes/v1/permissions/create.js";
import { registerDeletePermission } from "./routes/v1/permissions/delete.js";
import { registerGetPermission } from "./routes/v1/permissions/get.js";
import { registerListPermissions } from "./routes/v1/permissions/list.js";
import { registerCreateProject } from "./routes/v1/projects/create.js";
import { registerDeleteProject } from "./routes/v1/projects/delete.js";
import { registerGetProject } from "./routes/v1/projects/get.js";
import { registerListProjects } from "./routes/v1/projects/list.js";
import { registerUpdateProject } from "./routes/v1/projects/update.js";
import { registerDeleteOverride } from "./routes/v1/ratelimit/delete-override.js";
import { registerRatelimit } from "./routes/v1/ratelimit/limit.js";
import { registerListOverrides } from "./routes/v1/ratelimit/list-overrides.js";
import { registerSetOverride } from "./routes/v1/ratelimit/set-override.js";
import { registerCreateRole } from "./routes/v1/roles/create.js";
import { registerDeleteRole } from "./routes/v1/roles/delete.js";
import { registerGetRole } from "./routes/v1/roles/get.js";
import { registerListRoles } from "./routes/v1/roles/list.js";
import { registerSetRolePermissions } from "./routes/v1/roles/set-permissions.js";
import { registerCreateSecret } from "./routes/v1/secrets/create.js";
import { registerDeleteSecret } from "./routes/v1/secrets/delete.js";
import { registerGetSecret } from "./routes/v1/secrets/get.js";
import { registerListSecrets } from "./routes/v1/secrets/list.js";
import { registerRevealSecret } from "./routes/v1/secrets/reveal.js";
import { registerUpdateSecret } from "./routes/v1/secrets/update.js";
import { registerCreateToken } from "./routes/v1/tokens/create.js";
import { registerListTokens } from "./routes/v1/tokens/list.js";
import { registerRevokeToken } from "./routes/v1/tokens/revoke.js";
import { registerProjectUsage } from "./routes/v1/usage/get.js";
import { registerConfirmTotp } from "./routes/v1/users/confirm-totp.js";
import { registerCreateUser } from "./routes/v1/users/create.js";
import { registerDeleteUser } from "./routes/v1/users/delete.js";
import { registerDisableTotp } from "./routes/v1/users/disable-totp.js";
import { registerGetUser } from "./routes/v1/users/get.js";
import { registerCreateInvitation } from "./routes/v1/users/invite.js";
import { registerListUsers } from "./routes/v1/users/list.js";
import { registerGetMe } from "./routes/v1/users/me.js";
import { registerStartTotp } from "./routes/v1/users/start-totp.js";
import { registerUpdateUser } from "./routes/v1/users/update.js";
import { registerCreateWebhook } from "./routes/v1/webhooks/create.js";
import { registerDeleteWebhook } from "./routes/v1/webhooks/delete.js";
import { registerGetWebhook } from "./routes/v1/webhooks/get.js";
import { registerListWebhooks } from "./routes/v1/webhooks/list.js";
import { registerListDeliveries } from "./routes/v1/webhooks/list-deliveries.js";
import { registerRetryDelivery } from "./routes/v1/webhooks/retry-delivery.js";
import { registerUpdateWebhook } from "./routes/v1/webhooks/update.js";

/** Every route of the API, registered in this order. */
export const ROUTES: ReadonlyArray<(app: KeywardApp, deps: AppDependencies) => void> = [
  registerHealth,
  registerOpenApi,
  registerMetrics,
  registerCreateProject,
  registerListProjects,
  registerGetProject,
  registerUpdateProject,
  registerDeleteProject,
  registerCreateKey,
  registerImportKeys,
  registerListKeys,
  registerVerifyKey,
  registerRevokeKeys,
  registerGetKey,
  registerUpdateKey,
  registerRevokeKey,
  registerDeleteKey,
  registerRotateKey,
  registerAdjustQuota,
  registerKeyUsage,
  registerProjectUsage,
  registerRatelimit,
  registerSetOverride,
  registerListOverrides,
  registerDeleteOverride,
  registerCreateToken,
  registerListTokens,
  registerRevokeToken,
  registerCreateWebhook,
  registerListWebhooks,
  registerGetWebhook,
  registerUpdateWebhook,
  registerDeleteWebhook,
  registerListDeliveries,
  registerRetryDelivery,
  registerListAlerts,
  registerAcknowledgeAlert,
  registerListAuditEntries,
  registerVerifyAuditLog,
  registerVerifyAuditLogAgainst,
  registerExportAuditCheckpoints,
  registerCreateAuditCheckpoint,
  registerCreateSecret,
  registerListSecrets,
  registerGetSecret,
  registerUpdateSecret,
  registerDeleteSecret,
  registerRevealSecret,
  registerCreatePermission,
  registerListPermissions,
  registerGetPermission,
  registerDeletePermission,
  registerCreateRole,
  registerListRoles,
  registerGetRole,
  registerSetRolePermissions,
  registerDeleteRole,
  registerCreateIdentity,
  registerListIdentities,
  registerGetIdentity,
  registerUpdateIdentity,
  registerDeleteIdentity,
  registerRevealKey,
  registerLogin,
  registerLogout,
  registerStepUp,
  registerListSessions,
  registerRevokeSession,
  registerGetMe,
  registerStartTotp,
  registerConfirmTotp,
  registerDisableTotp,
  registerCreateUser,
  registerListUsers,
  registerGetUser,
  registerUpdateUser,
  registerDeleteUser,
  registerCreateInvitation,
  registerAcceptInvitation,
];
