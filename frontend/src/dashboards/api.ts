/** Typed calls to the dashboards API; URLs are built here and nowhere else in src/dashboards. */
import { download, queryString as query, request } from "../api/client";
import type { CompareAnswer, Insights, TableAnswer, TableQuery } from "./types";

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
  insights: (run: number) => request<Insights>("GET", `/runs/${run}/insights`),
  patchRun: (run: number, patch: { tags?: string[]; notes?: string }) => request<unknown>("PATCH", `/runs/${run}`, patch),
  checkpointUrl: (run: number, name: string) => `/api/runs/${run}/checkpoints/${encodeURIComponent(name.split("/").pop() ?? name)}`,
};
