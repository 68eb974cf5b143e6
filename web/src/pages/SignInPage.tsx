import { useMutation, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, useNavigate } from "@tanstack/react-router";
import { useEffect, useRef, useState } from "react";
import { api } from "../api/client.ts";
import type { Session } from "../api/types.ts";
import { ErrorNote } from "../components/Status.tsx";

const route = getRouteApi("/signin");

/** /signin: the one-time link's code is exchanged at once; otherwise a token can be pasted. */
export function SignInPage() {
  const { code } = route.useSearch();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [token, setToken] = useState("");
  const signIn = useMutation({
    mutationFn: (body: { code: string } | { token: string }) => api<Session>("POST", "/session", body),
    onSuccess: (session) => {
      queryClient.setQueryData(["session"], session);
      // The code is used up: take it out of the address bar and the history.
      void navigate({ to: "/runs", replace: true });
    },
  });
  const tried = useRef(false);
  useEffect(() => {
    if (code && !tried.current) {
      tried.current = true;
      signIn.mutate({ code });
    }
  }, [code, signIn]);
  return (
    <main id="main" className="signin">
      <h1>Sign in to Shipyard</h1>
      {code && signIn.isPending && <p aria-busy="true">Signing in…</p>}
      <ErrorNote error={signIn.error} />
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (token.trim()) signIn.mutate({ token: token.trim() });
        }}
      >
        <label htmlFor="token">API token</label>
        <input id="token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} placeholder="shp_…" />
        <button type="submit" disabled={signIn.isPending}>
          Sign in
        </button>
      </form>
      <p className="hint">
        <code>shipyard up</code> prints a one-time sign-in link. Or paste a token (e.g. from <code>shipyard tokens create</code>).
      </p>
    </main>
  );
}
