/**
 * One run being watched: its row, its metric lines and its log tail, fed by
 * the initial series and then by SSE events (docs/contracts.md section 4).
 * Events carry increasing ids; one already seen (a replay after a reconnect)
 * changes nothing, and points merge by step, so nothing is counted twice.
 */
import { createStore } from "zustand/vanilla";
import { useStore } from "zustand";
import type { Run, RunState, SeriesLine } from "../api/types";

export interface Line {
  steps: number[];
  values: number[];
}

export interface Point {
  key: string;
  step: number;
  value: number;
  time?: number;
}

/** What the training child says it is doing (a `phase` event). */
export interface Phase {
  phase: string;
  epoch?: number;
  epochs?: number;
}

export interface RunsState {
  /** The run this store follows (set by `reset`): a page reads nothing left from the run before. */
  runId: number | null;
  run: Run | null;
  phase: Phase | null;
  lines: Record<string, Line>;
  lastEventId: number;
  log: string[];
  connection: "idle" | "open" | "reconnecting" | "closed";
  setRun(run: Run): void;
  reset(runId?: number): void;
  mergePoints(points: Point[]): void;
  /** Apply one SSE event; false when its id was already applied. */
  applyEvent(id: number | null, type: string, data: unknown): boolean;
  setConnection(c: RunsState["connection"]): void;
}

export const TERMINAL: RunState[] = ["succeeded", "failed", "cancelled", "pruned"];
const LOG_LINES = 200;

/** Insert points into a line kept sorted by step; a step seen before is replaced. */
export function mergeLine(line: Line | undefined, points: { step: number; value: number }[]): Line {
  const steps = line ? [...line.steps] : [];
  const values = line ? [...line.values] : [];
  for (const p of points) {
    const last = steps.length - 1;
    if (last < 0 || p.step > steps[last]) {
      steps.push(p.step);
      values.push(p.value);
      continue;
    }
    let lo = 0;
    let hi = steps.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (steps[mid] < p.step) lo = mid + 1;
      else hi = mid;
    }
    if (steps[lo] === p.step) values[lo] = p.value;
    else {
      steps.splice(lo, 0, p.step);
      values.splice(lo, 0, p.value);
    }
  }
  return { steps, values };
}

export function createRunsStore() {
  return createStore<RunsState>()((set, get) => ({
    runId: null,
    run: null,
    phase: null,
    lines: {},
    lastEventId: 0,
    log: [],
    connection: "idle",
    setRun: (run) => set({ run }),
    reset: (runId) => set({ runId: runId ?? null, run: null, phase: null, lines: {}, lastEventId: 0, log: [], connection: "idle" }),
    mergePoints: (points) => {
      const byKey = new Map<string, Point[]>();
      for (const p of points) {
        if (typeof p.value !== "number" || !Number.isFinite(p.step)) continue;
        byKey.set(p.key, [...(byKey.get(p.key) ?? []), p]);
      }
      if (!byKey.size) return;
      const lines = { ...get().lines };
      for (const [key, pts] of byKey) lines[key] = mergeLine(lines[key], pts);
      set({ lines });
    },
    applyEvent: (id, type, data) => {
      if (id !== null && id <= get().lastEventId) return false;
      if (id !== null) set({ lastEventId: id });
      const d = (data ?? {}) as Record<string, unknown>;
      if (type === "metrics" && Array.isArray(d.points)) get().mergePoints(d.points as Point[]);
      else if (type === "state") {
        const run = get().run;
        const patch = { state: d.state as RunState, error: typeof d.error === "string" ? d.error : run?.error ?? "" };
        set({ run: run ? { ...run, ...patch } : ({ id: get().runId ?? Number(d.run), ...patch } as Run) });
      } else if (type === "phase" && typeof d.phase === "string") {
        set({ phase: { phase: d.phase, epoch: d.epoch as number | undefined, epochs: d.epochs as number | undefined } });
      } else if (type === "log") {
        const line = typeof d.message === "string" ? d.message : JSON.stringify(d);
        set({ log: [...get().log, line].slice(-LOG_LINES) });
      }
      return true;
    },
    setConnection: (connection) => set({ connection }),
  }));
}

/** The points of a run's lines from GET /api/series (columns per line) as the store merges them. */
export function pointsFromSeries(lines: SeriesLine[]): Point[] {
  return lines.flatMap((line) => line.step.map((step, i) => ({ key: line.key, step, value: line.value[i] })));
}

/** The line under a run's title: what it is doing now, as a person would say it. */
export function phaseText(run: Pick<Run, "state" | "queue"> | null, phase: Phase | null): string | null {
  if (!run || TERMINAL.includes(run.state)) return null;
  if (run.state === "queued") return `Queued: waiting for a worker on the ${run.queue ?? "cpu"} queue`;
  if (!phase) return "Starting the training process";
  if (phase.phase === "training" && phase.epoch) return `Training epoch ${phase.epoch}${phase.epochs ? ` of ${phase.epochs}` : ""}`;
  return phase.phase.charAt(0).toUpperCase() + phase.phase.slice(1);
}

export const runsStore = createRunsStore();
export const useRun = <T>(selector: (s: RunsState) => T): T => useStore(runsStore, selector);
