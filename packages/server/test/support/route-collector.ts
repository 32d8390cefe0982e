import type { FastifyInstance, RouteOptions } from "fastify";

/** One route as Fastify registered it, with the permission it declared in `config.permission`. */
export interface CollectedRoute {
  method: string;
  url: string;
  /** The declared permission; `null` marks a public route, `undefined` a route that declared nothing. */
  permission: string | null | undefined;
  /** True when the route asked to be left out of the OpenAPI document (`schema.hide`). */
  hidden: boolean;
}

type FastifyModule = typeof import("fastify");

const routesByApp = new WeakMap<object, CollectedRoute[]>();

/**
 * Wraps the `fastify` module so every app it builds gets an `onRoute` hook before any route is added: the only
 * way to see every route (HEAD twins included) with its config, whatever registers it. Use it from `vi.mock`:
 * `vi.mock("fastify", async (importOriginal) => withRouteCollector(await importOriginal()))`.
 */
export function withRouteCollector(original: FastifyModule): FastifyModule {
  const build = original.default as unknown as (options?: unknown) => FastifyInstance;
  const wrapped = (options?: unknown): FastifyInstance => {
    const app = build(options);
    const routes: CollectedRoute[] = [];
    routesByApp.set(app, routes);
    app.addHook("onRoute", (route: RouteOptions) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const config = route.config as { permission?: string | null } | undefined;
      const schema = route.schema as { hide?: boolean } | undefined;
      for (const method of methods) {
        routes.push({
          method: String(method).toUpperCase(),
          url: route.url,
          permission: config?.permission,
          hidden: schema?.hide === true,
        });
      }
    });
    return app;
  };
  return { ...original, default: wrapped, fastify: wrapped } as unknown as FastifyModule;
}

/** Every route registered on `app`; throws when the app was not built through {@link withRouteCollector}. */
export function routesOf(app: object): CollectedRoute[] {
  const routes = routesByApp.get(app);
  if (routes === undefined) throw new Error("this app was not built with the route collector mocked in");
  return routes;
}
