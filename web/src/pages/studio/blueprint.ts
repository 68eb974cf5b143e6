// The project's current blueprint for the studio's chat and plan panes: the newest one not archived, with its
// conversation. Both panes read the same query, so a chat turn updates the plan at once.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { get } from "../../api/client.ts";
import type { Blueprint, BlueprintWithMessages } from "../../api/types.ts";

/** The query key of a blueprint with its messages. */
export const blueprintKey = (id: string) => ["blueprint", id] as const;
/** The query key of a project's blueprints. */
export const blueprintsKey = (projectId: string) => ["blueprints", projectId] as const;

/** The current blueprint of a project (null when it has none yet), and a refresh of both queries. */
export function useCurrentBlueprint(projectId: string) {
  const qc = useQueryClient();
  const list = useQuery({
    queryKey: blueprintsKey(projectId),
    queryFn: () => get<{ blueprints: Blueprint[] }>(`/projects/${encodeURIComponent(projectId)}/blueprints`),
  });
  const currentId = list.data?.blueprints.find((b) => b.status !== "archived")?.id ?? null;
  const current = useQuery({
    queryKey: blueprintKey(currentId ?? ""),
    queryFn: () => get<BlueprintWithMessages>(`/blueprints/${encodeURIComponent(currentId!)}`),
    enabled: currentId !== null,
  });
  const refresh = useCallback(() => {
    void qc.invalidateQueries({ queryKey: blueprintsKey(projectId) });
    void qc.invalidateQueries({ queryKey: ["blueprint"] });
  }, [qc, projectId]);
  return { loaded: list.isSuccess, error: list.error ?? current.error, blueprint: currentId ? (current.data ?? null) : null, refresh };
}
