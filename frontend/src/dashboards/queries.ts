/** The dashboards' reads (TanStack Query; keys and live refresh as in api/queries). */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { series } from "../api/endpoints";
import { LIVE_STATES, REFRESH_MS } from "../api/queries";
import { dashboards, PREVIEW_ROWS } from "./api";
import type { CompareAnswer, TableAnswer, TableQuery } from "./types";

const whileLive = (live: boolean) => (live ? REFRESH_MS : false);
const tableIsLive = (d: TableAnswer | undefined) => Boolean(d?.rows.some((r) => LIVE_STATES.includes(r.state)));

/**
 * The runs table for a query: first a screenful, then every row. The server
 * answers one request at a time, so the first rows show without waiting
 * behind the 5,000; the full answer then refreshes itself while a run is live.
 */
export function useRunsTable(project: number, query: TableQuery) {
  const key = ["projects", project, "runs-table", query] as const;
  const preview = useQuery({ queryKey: [...key, "preview"], queryFn: () => dashboards.table(project, query, PREVIEW_ROWS) });
  const full = useQuery({
    queryKey: key,
    queryFn: () => dashboards.table(project, query),
    enabled: !preview.isPending,
    placeholderData: keepPreviousData,
    refetchInterval: (q) => whileLive(tableIsLive(q.state.data)),
  });
  const fresh = full.data !== undefined && !full.isPlaceholderData;
  const answer = fresh ? full.data : preview.data ?? full.data ?? null;
  return { answer: answer ?? null, fresh, error: full.error ?? preview.error };
}

export function useCompare(ids: number[], x: "step" | "time", points: number) {
  return useQuery({
    queryKey: ["compare", ids, x, points],
    queryFn: () => dashboards.compare(ids, [], x, points),
    enabled: ids.length > 0,
    placeholderData: keepPreviousData,
    refetchInterval: (q) => whileLive(Boolean((q.state.data as CompareAnswer | undefined)?.runs.some((r) => LIVE_STATES.includes(r.state)))),
  });
}

/** Run page additions: refreshed by the run's SSE events (useRunEvents invalidates ["runs", id]), not polled. */
export const useInsights = (run: number) => useQuery({ queryKey: ["runs", run, "insights"], queryFn: () => dashboards.insights(run) });

export const useSystemSeries = (run: number, keys: string[]) =>
  useQuery({ queryKey: ["runs", run, "system", keys], queryFn: () => series.read([run], keys, { points: 600, x: "time" }), enabled: keys.length > 0 });
