import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link, Outlet, useNavigate } from "@tanstack/react-router";
import { Suspense } from "react";
import { api } from "../api/client.ts";
import { useLive } from "../api/hooks.ts";

const NAV = [
  { to: "/runs", label: "Runs" },
  { to: "/jobs", label: "Jobs" },
  { to: "/studio", label: "Studio" },
  { to: "/deployments", label: "Deployments" },
  { to: "/runners", label: "Runners" },
  { to: "/usage", label: "Usage" },
  { to: "/settings", label: "Settings" },
] as const;

/** The frame of every signed-in page: navigation, sign-out, and the page. */
export function Shell() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const live = useLive();
  const signOut = useMutation({
    mutationFn: () => api<void>("DELETE", "/session"),
    onSettled: () => {
      live.close();
      queryClient.clear();
      void navigate({ to: "/signin" });
    },
  });
  return (
    <div className="shell">
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <span className="brand">Shipyard</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <Link to={n.to} activeProps={{ "aria-current": "page", className: "active" }}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <button type="button" className="ghost" onClick={() => signOut.mutate()} disabled={signOut.isPending}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p aria-busy="true">Loading…</p>}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}
