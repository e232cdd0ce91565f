/** Typed calls to the REST API. Nothing else in the editor builds a URL. */
import type { GraphDocument } from "../schemas/graph";
import type { Fleet } from "../fleet/types";
import { download, request } from "./client";
import type {
  Dataset, GraphDetail, GraphSummary, JobKind, LayerSpec, Page, Project, ProjectBlock, Run, RunSeriesAnswer, Template, User,
  ValidationReport, Version, VersionDiff, WeightsAnswer,
} from "./types";

const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : "";
};

/** Lists are paginated; the editor's lists are small, so take the first page of 500. */
const list = async <T>(path: string): Promise<T[]> =>
  (await request<Page<T>>("GET", path + (path.includes("?") ? "&" : "?") + "limit=500")).results;

export const auth = {
  me: () => request<User>("GET", "/auth/me"),
  login: (username: string, password: string) => request<User>("POST", "/auth/login", { username, password }),
  logout: () => request<void>("POST", "/auth/logout"),
};

export const projects = {
  list: () => list<Project>("/projects"),
  get: (id: number) => request<Project>("GET", `/projects/${id}`),
  create: (name: string, description = "") => request<Project>("POST", "/projects", { name, description }),
  graphs: (id: number) => list<GraphSummary>(`/projects/${id}/graphs`),
  createGraph: (id: number, name: string, document?: GraphDocument, message?: string) =>
    request<GraphDetail>("POST", `/projects/${id}/graphs`, { name, document, message }),
  importGraph: (id: number, name: string, document: unknown) =>
    request<GraphDetail>("POST", `/projects/${id}/graphs/import`, { name, document }),
  blocks: (id: number) => list<ProjectBlock>(`/projects/${id}/blocks`),
};

export const graphs = {
  get: (id: number) => request<GraphDetail>("GET", `/graphs/${id}`),
  rename: (id: number, name: string) => request<GraphDetail>("PATCH", `/graphs/${id}`, { name }),
  versions: (id: number) => list<Version>(`/graphs/${id}/versions`),
  version: (id: number, n: number) => request<Version>("GET", `/graphs/${id}/versions/${n}`),
  /** `base_version`: the version the edit started from; a newer one on the server answers 409. */
  save: (id: number, document: GraphDocument, message: string, base_version?: number | null) =>
    request<Version>("POST", `/graphs/${id}/versions`, { document, message, base_version: base_version ?? undefined }),
  restore: (id: number, n: number) => request<Version>("POST", `/graphs/${id}/versions/${n}/restore`),
  diff: (id: number, a: number, b: number) => request<VersionDiff>("GET", `/graphs/${id}/diff${q({ a, b })}`),
  exportFile: (id: number, n: number, format: "py" | "torchscript" | "onnx", filename: string) =>
    download(`/graphs/${id}/versions/${n}/export${q({ format })}`, filename),
  validate: (document: GraphDocument) => request<ValidationReport>("POST", "/graphs/validate", { document }),
};

export const catalogue = {
  layers: () => request<LayerSpec[]>("GET", "/layers"),
  templates: () => request<Template[]>("GET", "/templates"),
  template: (name: string) => request<GraphDocument>("GET", `/templates/${encodeURIComponent(name)}`),
};

export const datasets = {
  list: (project?: number) => list<Dataset>(`/datasets${q({ project })}`),
  /** Multipart: the server checks the file (kind, size, contents) before keeping it. */
  upload: (project: number, file: File, kind: string, name: string, options: Record<string, unknown>) => {
    const form = new FormData();
    form.append("file", file);
    form.append("kind", kind);
    form.append("name", name);
    form.append("options", JSON.stringify(options));
    return request<Dataset>("POST", `/projects/${project}/datasets`, form);
  },
  remove: (id: number) => request<void>("DELETE", `/datasets/${id}`),
};

/** Pretrained weights for a backbone node, checked by the server (docs/contracts.md section 7). */

export const weights = {
  upload: (project: number, file: File, node: { id: string; op: string; params: Record<string, unknown> }) => {
    const form = new FormData();
    form.append("file", file);
    form.append("op", node.op);
    form.append("node", node.id);
    form.append("params", JSON.stringify(node.params));
    return request<WeightsAnswer>("POST", `/projects/${project}/weights`, form);
  },
};

/** A dataset as a launch names it: a built-in {kind, options} or an upload {id}. */
export type DatasetRef = { kind: string; options: Record<string, unknown> } | { id: number };

export interface LaunchRequest {
  /** Left out: the first input run's graph version. */
  graph?: number;
  version?: number | null;
  /** A kind from GET /api/jobs. */
  kind: string;
  name?: string;
  /** Left out with inputs: the first input run's dataset. */
  dataset?: DatasetRef;
  config: Record<string, unknown>;
  inputs?: { run: number; checkpoint: "best" | "last" }[];
  devices: number;
  /** Workers the run spans (multi-node DDP); 1 when left out. */
  nodes?: number;
  queue: string;
  priority?: number;
  tags?: string[];
}

export const jobs = {
  /** Every kind a run can be, with its config's JSON Schema (the launch forms are built from it). */
  list: () => request<JobKind[]>("GET", "/jobs"),
};

export const runs = {
  list: (filters: { project?: number; graph?: number; input?: number }) => list<Run>(`/runs${q(filters)}`),
  get: (id: number) => request<Run>("GET", `/runs/${id}`),
  create: (body: LaunchRequest) => request<Run>("POST", "/runs", body),
  cancel: (id: number) => request<Run>("POST", `/runs/${id}/cancel`),
  clone: (id: number) => request<Run>("POST", `/runs/${id}/clone`),
  resume: (id: number) => request<Run>("POST", `/runs/${id}/resume`),
  series: (id: number, keys: string[]) => request<RunSeriesAnswer>("GET", `/runs/${id}/series${q({ keys: keys.join(","), points: 1000, x: "step" })}`),
  eventsUrl: (id: number, after = 0) => `/api/runs/${id}/events${after > 0 ? q({ after }) : ""}`,
};

export const fleet = {
  /** Workers, their jobs, the queues and the runs waiting in them (polled by the fleet page). */
  get: () => request<Fleet>("GET", "/fleet"),
};
