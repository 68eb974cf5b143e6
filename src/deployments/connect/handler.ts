// The API port's request handler: the DeploymentService over Connect, gRPC and gRPC-Web, and everything else to the
// Hono app (as its fallback, so the REST API, its streams and its errors are untouched).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { getRequestListener } from "@hono/node-server";
import type { ApiHandler } from "../../server/api-listener.ts";
import type { DeploymentDeps } from "../service.ts";
import { authInterceptor, deploymentConnectRoutes } from "./service.ts";

/** The handler for the API's server: Connect routes first, the app's fetch for the rest. */
export function apiRequestHandler(deps: DeploymentDeps, fetch: (request: Request) => Response | Promise<Response>): ApiHandler {
  const app = getRequestListener(fetch);
  // connect-node's response type narrows write()'s callback; the app's listener takes Node's own responses.
  const fallback = (req: IncomingMessage | Http2ServerRequest, res: unknown) => void app(req, res as ServerResponse | Http2ServerResponse);
  return connectNodeAdapter({ routes: deploymentConnectRoutes(deps), interceptors: [authInterceptor(deps)], fallback }) as ApiHandler;
}
