/** The runs table's columns: fixed ones, one per key hyperparameter, one per metric. */
import type { ReactNode } from "react";
import { Link } from "../router";
import { StateBadge } from "../components/runs/RunList";
import { formatTime } from "../lib/format";
import { formatValue } from "./ParallelCoords";
import { goalArrow, type TableAnswer, type TableRow } from "./types";

export interface Column {
  id: string;
  title: string;
  width: number;
  /** The server's sort name; none for columns the server cannot sort. */
  sort?: string;
  cell: (row: TableRow) => ReactNode;
  className?: string;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null) return "–";
  if (seconds < 60) return `${seconds.toFixed(0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} m ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} m`;
}

/** Wide enough for the header's text (12 px type), within reason; longer ones wrap. */
export function widthFor(title: string, least: number): number {
  return Math.min(240, Math.max(least, Math.ceil(title.length * 7.2) + 28));
}

/** Metrics first (what runs are compared by), then hyperparameters, then `editable`: the tags and notes cells. */
export function buildColumns(answer: TableAnswer, mode: "best" | "last", editable: Column[] = []): Column[] {
  const fixed: Column[] = [
    { id: "id", title: "#", width: 70, sort: "id", cell: (r) => <Link to={`/runs/${r.id}`}>#{r.id}</Link> },
    { id: "name", title: "name", width: 150, sort: "name", cell: (r) => r.name || <span className="muted">–</span> },
    { id: "state", title: "state", width: 104, sort: "state", cell: (r) => <StateBadge state={r.state} /> },
    { id: "kind", title: "kind", width: 84, cell: (r) => r.kind },
    { id: "graph", title: "graph", width: 160, sort: "graph",
      cell: (r) => <Link to={`/graphs/${r.graph}`}>{r.graph_name} <span className="muted">v{r.version}</span></Link> },
    { id: "dataset", title: "dataset", width: 130, cell: (r) => <span title={r.dataset}>{r.dataset}</span> },
    { id: "queue", title: "queue", width: 80, cell: (r) => r.queue },
    { id: "devices", title: "devices", width: 74, className: "num", cell: (r) => r.devices },
    { id: "duration", title: "duration", width: 96, sort: "duration", cell: (r) => formatDuration(r.duration) },
  ];
  const hparams: Column[] = answer.hparams.map((name) => ({
    id: `hp:${name}`, title: name, width: widthFor(name, 118), sort: `hp:${name}`, className: "num",
    cell: (r) => formatValue(r.hp[name]),
  }));
  const metrics: Column[] = answer.metrics.filter((m) => !m.key.startsWith("system/")).map((m) => ({
    id: `${mode}:${m.key}`, title: `${m.key}${goalArrow(m.goal)}`, width: widthFor(m.key, 124), sort: `${mode}:${m.key}`,
    className: "num", cell: (r) => formatValue(r[mode][m.key]),
  }));
  const tail: Column[] = [{ id: "created", title: "created", width: 160, sort: "created", cell: (r) => formatTime(r.created) }];
  return [...fixed.slice(0, 5), ...metrics, ...hparams, ...editable, ...fixed.slice(5), ...tail];
}
