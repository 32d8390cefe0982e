/**
 * The tables whose rows belong to one key (`key_id`) and go with it when the key is erased. Audit entries, events,
 * alerts and usage buckets stay: they are history, they hold no secret, and the audit chain cannot lose a link.
 * A table added with a `key_id` column belongs here unless it is history too.
 */
export const KEY_DEPENDENT_TABLES = [
  "key_usage",
  "key_notices",
  "key_quotas",
  "key_source_networks",
  "key_recoveries",
] as const;
