/**
 * Reading from the server: TanStack Query, one cache entry per resource,
 * keyed below. Mutations invalidate what they change; lists that show live
 * runs refresh themselves while one is live; the run page refreshes from its
 * SSE stream (components/runs/useRunEvents), never on a timer.
 */
import { QueryClient, useQuery } from "@tanstack/react-query";
import { catalogue, datasets, fleet, projects, runs } from "./endpoints";

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: { retry: 1, refetchOnWindowFocus: false, staleTime: 2_000 },
  },
});

/** Cache keys: a prefix invalidates everything under it (["projects", 3] also drops its graphs and runs). */
export const keys = {
  projects: ["projects"] as const,
  project: (id: number) => ["projects", id] as const,
  graphs: (project: number) => ["projects", project, "graphs"] as const,
  projectRuns: (project: number) => ["projects", project, "runs"] as const,
  datasets: (project: number) => ["datasets", project] as const,
  templates: ["templates"] as const,
  run: (id: number) => ["runs", id] as const,
  fleet: ["fleet"] as const,
};

/** How long a list showing live runs waits before asking again. */
export const REFRESH_MS = 5000;
export const LIVE_STATES: string[] = ["queued", "running"];

/** A query's error as one sentence for ErrorNote (null when none). */
export function errorText(error: unknown): string | null {
  if (!error) return null;
  return error instanceof Error ? error.message : String(error);
}

export const useProjects = () => useQuery({ queryKey: keys.projects, queryFn: projects.list });
export const useProject = (id: number) => useQuery({ queryKey: keys.project(id), queryFn: () => projects.get(id) });
export const useProjectGraphs = (id: number) => useQuery({ queryKey: keys.graphs(id), queryFn: () => projects.graphs(id) });
export const useProjectRuns = (id: number) => useQuery({
  queryKey: keys.projectRuns(id),
  queryFn: () => runs.list({ project: id }),
  refetchInterval: (q) => (q.state.data?.some((r) => LIVE_STATES.includes(r.state)) ? REFRESH_MS : false),
});
export const useDatasets = (project: number) => useQuery({ queryKey: keys.datasets(project), queryFn: () => datasets.list(project) });
export const useTemplates = () => useQuery({ queryKey: keys.templates, queryFn: catalogue.templates, staleTime: Infinity });

/** How often the fleet page asks again: workers announce themselves every few seconds. */
export const FLEET_REFRESH_MS = 2000;
export const useFleet = () => useQuery({ queryKey: keys.fleet, queryFn: fleet.get, refetchInterval: FLEET_REFRESH_MS });
