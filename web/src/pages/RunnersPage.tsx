import { useQuery } from "@tanstack/react-query";
import { get } from "../api/client.ts";
import { when } from "../api/hooks.ts";
import type { Runner } from "../api/types.ts";
import { ErrorNote, Status } from "../components/Status.tsx";

/** /runners: status, labels, slots in use, sandbox and last ping of every runner that serves this workspace. */
export function RunnersPage() {
  const runners = useQuery({ queryKey: ["runners"], queryFn: () => get<{ runners: Runner[] }>("/runners") });
  return (
    <section aria-labelledby="runners-title">
      <h1 id="runners-title">Runners</h1>
      <ErrorNote error={runners.error} />
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col">Labels</th>
            <th scope="col">Slots in use</th>
            <th scope="col">Sandbox</th>
            <th scope="col">Last ping</th>
          </tr>
        </thead>
        <tbody>
          {runners.data?.runners.map((r) => (
            <tr key={r.id}>
              <td>
                {r.name}
                {r.shared ? " (shared pool)" : ""}
              </td>
              <td>
                <Status status={r.status} />
              </td>
              <td>{r.labels.join(", ") || "—"}</td>
              <td className="num">
                {r.activeTasks} / {r.slots}
              </td>
              <td>{r.sandbox}</td>
              <td>{when(r.lastSeenAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
