/** Typed calls to the dashboards API; URLs are built here and nowhere else in src/dashboards. */
import { download, request } from "../api/client";
import type { CompareAnswer, Insights, TableAnswer, TableQuery } from "./types";

function query(params: Record<string, string | number | undefined>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : "";
}

/** A table of up to 5,000 runs in one answer: the virtualised table takes them all. */
export const TABLE_ROWS = 5000;
/** Asked for at the same time: the first screenful, shown while the 5,000 are on their way. */
export const PREVIEW_ROWS = 60;

export const dashboards = {
  table: (project: number, q: TableQuery, limit = TABLE_ROWS) =>
    request<TableAnswer>("GET", `/projects/${project}/runs-table${query({ ...q, limit })}`),
  tableCsv: (project: number, q: TableQuery) =>
    download(`/projects/${project}/runs.csv${query({ ...q })}`, `project${project}-runs.csv`),
  compare: (runs: number[], keys: string[] = [], x: "step" | "time" = "step", points = 1000) =>
    request<CompareAnswer>("GET", `/compare${query({ runs: runs.join(","), keys: keys.join(","), points, x })}`),
  seriesCsv: (runs: number[], keys: string[]) =>
    download(`/series.csv${query({ runs: runs.join(","), keys: keys.join(",") })}`, `runs-${runs.slice(0, 5).join("-")}-series.csv`),
  insights: (run: number) => request<Insights>("GET", `/runs/${run}/insights`),
  series: (run: number, keys: string[]) => request<CompareAnswer>("GET", `/compare${query({ runs: run, keys: keys.join(","), points: 600, x: "time" })}`),
  patchRun: (run: number, patch: { tags?: string[]; notes?: string }) => request<unknown>("PATCH", `/runs/${run}`, patch),
  checkpointUrl: (run: number, name: string) => `/api/runs/${run}/checkpoints/${encodeURIComponent(name.split("/").pop() ?? name)}`,
};
