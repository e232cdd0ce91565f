/** Resources of the REST API (docs/contracts.md section 5), as the editor reads them. */
import type { GraphDocument } from "../schemas/graph";

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

export interface User {
  id: number;
  username: string;
}

export interface Project {
  id: number;
  name: string;
  description?: string;
  owner?: string;
  role?: string;
  created?: string;
  updated?: string;
}

export interface GraphSummary {
  id: number;
  project: number;
  name: string;
  description?: string;
  latest_version?: number | null;
  valid?: boolean | null;
  node_count?: number | null;
  created?: string;
  updated?: string;
}

export interface GraphDetail extends GraphSummary {
  document: GraphDocument | null;
}

export interface Version {
  number: number;
  message: string;
  created?: string;
  author?: string | null;
  valid?: boolean | null;
  node_count?: number | null;
  restored_from?: number | null;
  document?: GraphDocument;
}

export interface ProjectBlock {
  name: string;
  graph: number;
  graph_name: string;
  version: number;
  definition: import("../schemas/graph").Block;
}

export interface Template {
  name: string;
  title: string;
  description: string;
  tags: string[];
}

/** Built-ins have the kind as id ("digits"); uploads a number. */
export interface Dataset {
  id: number | string;
  name: string;
  kind: string;
  source?: "builtin" | "upload" | string;
  available?: boolean;
  help?: string;
  task?: string;
  input_shape?: number[] | null;
  num_classes?: number | null;
  classes?: string[] | null;
  description?: string;
  /** Why a local dataset cannot be used (files missing): where to put them. */
  error?: string;
  sizes?: Record<string, number> | null;
  /** Uploads: the project, the file's bytes, the options it was read with. */
  project?: number;
  size?: number;
  options?: Record<string, unknown>;
  created?: string;
}

export type RunState = "queued" | "running" | "succeeded" | "failed" | "cancelled" | "pruned";

/** A job kind from GET /api/jobs (the engine's registry). */
export interface JobKind {
  kind: string;
  title: string;
  description: string;
  /** How many finished runs the job starts from. */
  inputs: { min: number; max: number };
  distributed: boolean;
  resumable: boolean;
  /** A finished run of this kind leaves a checkpoint other jobs can start from. */
  checkpoints: boolean;
  config_schema: import("../components/jobs/schema").JsonSchema;
}

export interface Run {
  id: number;
  project?: number;
  graph?: number;
  version?: number;
  project_name?: string;
  graph_name?: string;
  kind?: string;
  dataset?: Record<string, unknown> | null;
  config?: Record<string, unknown>;
  devices?: number;
  queue?: string;
  priority?: number;
  /** The GPUs the job ran on (empty on the CPU). */
  gpus?: { index: number; uuid: string; name: string }[];
  worker_hostname?: string;
  state: RunState;
  error?: string;
  log_tail?: string;
  name?: string;
  graph_version?: number;
  created?: string;
  started?: string | null;
  finished?: string | null;
  summary?: Record<string, unknown>;
  tags?: string[];
  parent?: number | null;
  inputs?: { run: number | null; checkpoint: "best" | "last" }[];
}

export interface SeriesLine {
  key: string;
  x?: number[];
  steps?: number[];
  y?: number[];
  values?: number[];
  points?: { step: number; value: number }[];
}
