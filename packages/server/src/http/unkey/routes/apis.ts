import type { UnkeyRoute } from "../register.js";

/** Filled by the routes of this group. */
export const UNKEY_APIS_ROUTES: readonly UnkeyRoute[] = [];
