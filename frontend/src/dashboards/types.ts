/** What the dashboards API answers (designer/dashboards, docs/contracts.md section 6). */
import type { RunState } from "../api/types";

export interface MetricColumn {
  key: string;
  goal: "min" | "max";
}

export interface TableRow {
  id: number;
  name: string;
  state: RunState;
  kind: string;
  graph: number;
  graph_name: string;
  graph_version: number;
  version: number;
  dataset: string;
  created: string;
  started: string | null;
  finished: string | null;
  duration: number | null;
  created_by: string | null;
  tags: string[];
  notes: string;
  hp: Record<string, unknown>;
  best: Record<string, number>;
  last: Record<string, number>;
}

export interface TableAnswer {
  count: number;
  offset: number;
  limit: number;
  sort: string;
  metrics: MetricColumn[];
  hparams: string[];
  rows: TableRow[];
}

export interface TableQuery {
  sort: string;
  state: string;
  tag: string;
  q: string;
}

export interface SeriesColumns {
  key: string;
  count: number;
  step: number[];
  value: number[];
  /** Unix seconds; sent only when asked with x=time. */
  time?: number[];
}

export interface CompareRun {
  id: number;
  name: string;
  state: RunState;
  project: number;
  graph: number;
  graph_name: string;
  graph_version: number;
  version: number;
  dataset: string;
  steps_per_epoch: number | null;
  series: SeriesColumns[];
}

export interface GraphDiff {
  nodes_added: { id: string; op: string }[];
  nodes_removed: { id: string; op: string }[];
  nodes_changed: { id: string; op: string; params?: Record<string, [unknown, unknown]> }[];
  edges_added: unknown[];
  edges_removed: unknown[];
  variables_changed: Record<string, [unknown, unknown]>;
}

export interface CompareAnswer {
  x: "step" | "time";
  keys: string[];
  runs: CompareRun[];
  metrics: { key: string; goal: "min" | "max"; best: (number | null)[]; last: (number | null)[] }[];
  hparams: { name: string; values: unknown[] }[];
  architecture: {
    base_run: number;
    base_version: number;
    versions: { graph_version: number; graph: number; graph_name: string; version: number; runs: number[]; diff: GraphDiff | null }[];
  };
}

export interface SummaryRow {
  key: string;
  latest: number;
  best: number;
  minimum: number;
  maximum: number;
  count: number;
}

export interface Insights {
  run: number;
  state: RunState;
  confusion_matrix: { kind: string; step: number | null; data: number[][]; labels: string[] | null } | null;
  per_class: {
    kind: string;
    step: number | null;
    data: { labels: string[]; precision: number[]; recall: number[]; f1: number[]; support: number[] };
  } | null;
  /** An evaluation's reliability diagram: per confidence bin, its size, accuracy and mean confidence. */
  calibration?: {
    kind: string;
    step: number | null;
    data: { lower: number[]; upper: number[]; count: number[]; accuracy: number[]; confidence: number[]; ece: number };
  } | null;
  system: SummaryRow[];
  model: {
    ok: boolean;
    totals: { params?: number; flops?: number; memory?: number };
    nodes: { id: string; op: string; params: number | null; flops: number | null; memory: number | null; output: (number | null)[] | null }[];
    errors: { message: string }[];
  };
  checkpoints: { name: string; epoch: number | null; step: number | null; best: boolean; updated: string; size: number | null }[];
}
