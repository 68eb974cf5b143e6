import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider } from "@tanstack/react-router";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ApiError } from "./api/client.ts";
import { LiveEvents } from "./api/live.ts";
import { createAppRouter } from "./router.tsx";
import "./styles.css";

// A session that ended while a page was open (signed out elsewhere, its token revoked): back to /signin.
const signedOut = (err: unknown) => {
  if (err instanceof ApiError && err.status === 401 && location.pathname !== "/signin") void router.navigate({ to: "/signin" });
};
// Live data comes from the events socket, so cached queries are not refetched on a timer or on focus.
const queryClient = new QueryClient({
  queryCache: new QueryCache({ onError: signedOut }),
  mutationCache: new MutationCache({ onError: signedOut }),
  defaultOptions: { queries: { refetchOnWindowFocus: false, retry: false, staleTime: 5_000 } },
});
const live = new LiveEvents();
const router = createAppRouter({ queryClient, live });

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
