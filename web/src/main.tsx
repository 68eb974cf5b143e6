import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider } from "@tanstack/react-router";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { LiveEvents } from "./api/live.ts";
import { createAppRouter } from "./router.tsx";
import "./styles.css";

// Live data comes from the events socket, so cached queries are not refetched on a timer or on focus.
const queryClient = new QueryClient({ defaultOptions: { queries: { refetchOnWindowFocus: false, retry: false, staleTime: 5_000 } } });
const live = new LiveEvents();
const router = createAppRouter({ queryClient, live });

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <RouterProvider router={router} />
    </QueryClientProvider>
  </StrictMode>,
);
