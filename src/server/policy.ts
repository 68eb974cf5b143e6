import type { MiddlewareHandler } from "hono";
import { ShipyardError } from "../domain/errors.ts";
import type { Role } from "../tokens/store.ts";
import type { AppEnv, Principal } from "./auth.ts";

/**
 * Who may call what: the one place where roles are decided. Each API route needs a level on the ladder
 * viewer < member < owner, or the admin token; a `runner` token is below the ladder (it may only connect as a
 * runner, see mayConnectAsRunner). The admin token passes everything.
 */
export type Need = "viewer" | "member" | "owner" | "admin";

/** Route (method and OpenAPI path under /api/v1) → what it needs. */
export const ROUTE_POLICY: Readonly<Record<string, Need>> = {
  // Reads: anything in the workspace, names of secrets included (never their values).
  "GET /runs": "viewer",
  "GET /runs/{id}": "viewer",
  "GET /operations/{id}": "viewer",
  "GET /operations/{id}/events": "viewer",
  "GET /operations/stream": "viewer",
  "GET /runners": "viewer",
  "GET /projects": "viewer",
  "GET /projects/{id}": "viewer",
  "GET /templates": "viewer",
  "GET /jobs": "viewer",
  "GET /jobs/{id}": "viewer",
  "GET /projects/{id}/builds": "viewer",
  "GET /builds/{id}": "viewer",
  "GET /builds/{id}/screenshot": "viewer",
  "GET /projects/{id}/blueprints": "viewer",
  "GET /blueprints/{id}": "viewer",
  "GET /references/{id}/image": "viewer",
  "GET /references/{id}/thumbnail": "viewer",
  "GET /projects/{id}/publishes": "viewer",
  "GET /publishes/{id}": "viewer",
  "GET /publishes/{id}/screenshot": "viewer",
  "GET /generators": "viewer",
  "GET /deployments": "viewer",
  "GET /projects/{id}/deployments": "viewer",
  "GET /projects/{id}/deployments/detect": "viewer",
  "GET /deployments/{id}": "viewer",
  "GET /deployments/{id}/files": "viewer",
  "GET /queues": "viewer",
  "GET /usage": "viewer",
  "GET /usage/series": "viewer",
  "GET /budgets": "viewer",
  "GET /settings": "viewer",
  "GET /secrets": "viewer",
  // Public (src/server/app.ts): an editor fetches it as a `$schema` URL, without a token.
  "GET /workflows/schema": "viewer",
  "GET /projects/{id}/previews": "viewer",
  "GET /webhooks": "viewer",
  "GET /webhooks/{id}/deliveries": "viewer",
  // The web session: who is signed in, and signing out (anyone signed in may end their own session).
  "GET /session": "viewer",
  "DELETE /session": "viewer",
  // Validation is a POST only to carry the document: it changes nothing.
  "POST /workflows/validate": "viewer",
  // Running and cancelling work.
  "POST /runs": "member",
  "POST /runs/{id}/cancel": "member",
  "POST /operations/{id}/cancel": "member",
  "POST /runs/{id}/rerun": "member",
  "POST /jobs": "member",
  "PATCH /jobs/{id}": "member",
  "POST /jobs/{id}/cancel": "member",
  "POST /projects/{id}/builds": "member",
  "POST /builds/{id}/cancel": "member",
  // Shaping a plan with the Architect and building it: like starting a build.
  "POST /projects/{id}/blueprints": "member",
  "DELETE /blueprints/{id}": "member",
  "POST /blueprints/{id}/chat": "member",
  "POST /blueprints/{id}/references": "member",
  "POST /blueprints/{id}/build": "member",
  "POST /blueprints/{id}/archive": "member",
  "POST /projects/{id}/publish": "member",
  "POST /projects/{id}/deployments": "member",
  "POST /deployments/{id}/cancel": "member",
  "POST /queues/{queue}/pause": "member",
  "POST /queues/{queue}/resume": "member",
  // Rolling a preview back or forward changes what its URL shows, never the code: like running work.
  "POST /projects/{id}/previews/{version}/promote": "member",
  // Webhook endpoints: owners and members manage them.
  "POST /webhooks": "member",
  "DELETE /webhooks/{id}": "member",
  "POST /deliveries/{id}/redeliver": "member",
  // Managing the workspace.
  "GET /tokens": "owner",
  "POST /tokens": "owner",
  "DELETE /tokens/{id}": "owner",
  "PUT /secrets/{name}": "owner",
  "DELETE /secrets/{name}": "owner",
  "PUT /settings": "owner",
  "PUT /budgets": "owner",
  "PUT /operations/{id}/budget": "owner",
  "POST /projects": "owner",
  "PUT /projects/{id}/deploy-target": "owner",
  // The installation.
  "POST /workspaces": "admin",
  "GET /workspaces": "admin",
};

/** A route with no entry needs the most a workspace token can have: forgetting an entry never opens a route. */
const UNLISTED: Need = "owner";

const RANK: Record<Role, number> = { runner: 0, viewer: 1, member: 2, owner: 3 };

const compiled = Object.entries(ROUTE_POLICY).map(([key, need]) => {
  const [method, template] = key.split(" ") as [string, string];
  const pattern = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+");
  return { method, re: new RegExp(`^${pattern}$`), need };
});

/** What a request needs, by method and path relative to /api/v1 (HEAD is a GET). */
export function requiredFor(method: string, path: string): Need {
  const m = method === "HEAD" ? "GET" : method;
  return compiled.find((r) => r.method === m && r.re.test(path))?.need ?? UNLISTED;
}

/** True when the principal meets the need. */
export function allows(p: Principal, need: Need): boolean {
  if (p.isAdmin) return true;
  if (need === "admin") return false;
  return RANK[p.role] >= RANK[need];
}

/** Tokens that may connect as a runner: runner tokens, and owners (who may see the workspace's secrets anyway). */
export function mayConnectAsRunner(p: Principal): boolean {
  return p.isAdmin || p.role === "runner" || p.role === "owner";
}

/** The 403 for a principal that does not meet `need`, saying which role would. */
export function forbidden(p: Principal, need: Need, what: string): ShipyardError {
  const has = p.isAdmin ? "admin" : p.role;
  const message =
    need === "admin"
      ? `${what} needs the admin token; this token has the ${has} role`
      : `${what} needs the ${need} role${need === "owner" ? "" : " or higher"}; this token has the ${has} role`;
  return new ShipyardError("forbidden", message, 403, { requiredRole: need, role: has });
}

/** Hono middleware (after requireAuth): 403 unless the token's role meets the route's need. `base` is the API's mount path. */
export function authorize(base: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const p = c.get("principal");
    const path = c.req.path.slice(base.length) || "/";
    const need = requiredFor(c.req.method, path);
    if (!allows(p, need)) throw forbidden(p, need, `${c.req.method} ${path}`);
    await next();
  };
}
