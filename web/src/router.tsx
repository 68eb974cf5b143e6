// Every page's stable URL. The `app` layout signs the browser in first: without a live session every page
// sends it to /signin.
import type { QueryClient } from "@tanstack/react-query";
import { createRootRouteWithContext, createRoute, createRouter, Outlet, redirect } from "@tanstack/react-router";
import { lazy } from "react";
import { ApiError, get } from "./api/client.ts";
import type { LiveEvents } from "./api/live.ts";
import type { Session } from "./api/types.ts";
import { Shell } from "./components/Shell.tsx";
import { JobPage } from "./pages/JobPage.tsx";
import { JobsPage } from "./pages/JobsPage.tsx";
import { RunnersPage } from "./pages/RunnersPage.tsx";
import { RunPage } from "./pages/RunPage.tsx";
import type { DeploymentsSearch } from "./pages/DeploymentsPage.tsx";
import { RunsPage, type RunsSearch } from "./pages/RunsPage.tsx";
import { SettingsPage } from "./pages/SettingsPage.tsx";
import { SignInPage } from "./pages/SignInPage.tsx";
import { validateUsageSearch } from "./pages/usage-search.ts";

// The editor and the studio are larger and not on the first page a person sees: loaded when opened.
const RunWorkflowPage = lazy(() => import("./pages/RunWorkflowPage.tsx").then((m) => ({ default: m.RunWorkflowPage })));
const StudioPage = lazy(() => import("./pages/StudioPage.tsx").then((m) => ({ default: m.StudioPage })));
const UsagePage = lazy(() => import("./pages/UsagePage.tsx").then((m) => ({ default: m.UsagePage })));
const StudioProjectPage = lazy(() => import("./pages/StudioProjectPage.tsx").then((m) => ({ default: m.StudioProjectPage })));
// The deployment pages carry a file viewer (CodeMirror) and the generate dialog.
const DeploymentsPage = lazy(() => import("./pages/DeploymentsPage.tsx").then((m) => ({ default: m.DeploymentsPage })));
const DeploymentPage = lazy(() => import("./pages/DeploymentPage.tsx").then((m) => ({ default: m.DeploymentPage })));

/** What every route may use: the query cache and the live events socket. */
export interface RouterContext {
  queryClient: QueryClient;
  live: LiveEvents;
}

export const sessionQuery = { queryKey: ["session"], queryFn: () => get<Session>("/session"), staleTime: 60_000 };

const root = createRootRouteWithContext<RouterContext>()({ component: Outlet });

const signIn = createRoute({
  getParentRoute: () => root,
  path: "/signin",
  validateSearch: (s: Record<string, unknown>): { code?: string } => (typeof s.code === "string" ? { code: s.code } : {}),
  component: SignInPage,
});

const app = createRoute({
  getParentRoute: () => root,
  id: "app",
  beforeLoad: async ({ context }) => {
    try {
      await context.queryClient.ensureQueryData(sessionQuery);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) throw redirect({ to: "/signin" });
      throw err;
    }
  },
  component: Shell,
});

const index = createRoute({ getParentRoute: () => app, path: "/", beforeLoad: () => { throw redirect({ to: "/runs" }); } });

const runs = createRoute({
  getParentRoute: () => app,
  path: "/runs",
  validateSearch: (s: Record<string, unknown>): RunsSearch => ({
    ...(typeof s.status === "string" && s.status ? { status: s.status } : {}),
    ...(typeof s.workflow === "string" && s.workflow ? { workflow: s.workflow } : {}),
    ...(typeof s.within === "string" && s.within ? { within: s.within } : {}),
  }),
  component: RunsPage,
});
const runNew = createRoute({ getParentRoute: () => app, path: "/runs/new", component: RunWorkflowPage });
const run = createRoute({ getParentRoute: () => app, path: "/runs/$runId", component: () => <RunPageOf id={run.useParams().runId} /> });
const jobs = createRoute({ getParentRoute: () => app, path: "/jobs", component: JobsPage });
const job = createRoute({ getParentRoute: () => app, path: "/jobs/$jobId", component: () => <JobPageOf id={job.useParams().jobId} /> });
const runners = createRoute({ getParentRoute: () => app, path: "/runners", component: RunnersPage });
const usage = createRoute({ getParentRoute: () => app, path: "/usage", validateSearch: validateUsageSearch, component: UsagePage });
const settings = createRoute({ getParentRoute: () => app, path: "/settings", component: SettingsPage });
const studio = createRoute({ getParentRoute: () => app, path: "/studio", component: StudioPage });
const studioProject = createRoute({
  getParentRoute: () => app,
  path: "/studio/$projectId",
  component: () => <StudioProjectPage id={studioProject.useParams().projectId} />,
});

const deployments = createRoute({
  getParentRoute: () => app,
  path: "/deployments",
  validateSearch: (s: Record<string, unknown>): DeploymentsSearch => (typeof s.project === "string" && s.project ? { project: s.project } : {}),
  component: () => <DeploymentsPage search={deployments.useSearch()} />,
});
const deployment = createRoute({
  getParentRoute: () => app,
  path: "/deployments/$deploymentId",
  component: () => {
    const { deploymentId } = deployment.useParams();
    return <DeploymentPage key={deploymentId} id={deploymentId} />;
  },
});

// Keyed by id: moving from one run (or job) to another starts a fresh page with a fresh log.
function RunPageOf({ id }: { id: string }) {
  return <RunPage key={id} id={id} />;
}
function JobPageOf({ id }: { id: string }) {
  return <JobPage key={id} id={id} />;
}

const routeTree = root.addChildren([signIn, app.addChildren([index, runs, runNew, run, jobs, job, runners, usage, settings, studio, studioProject, deployments, deployment])]);

/** The router of the app, with its context. */
export function createAppRouter(context: RouterContext) {
  return createRouter({ routeTree, context, defaultPreload: "intent" });
}

declare module "@tanstack/react-router" {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
