/**
 * One run being watched: its row, its metric lines and its log tail, fed by
 * the initial series and then by SSE events (docs/contracts.md section 4).
 * Events carry increasing ids; one already seen (a replay after a reconnect)
 * changes nothing, and points merge by step, so nothing is counted twice.
 */
import { createStore } from "zustand/vanilla";
import { useStore } from "zustand";
import type { Run, RunState } from "../api/types";

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

export interface RunsState {
  run: Run | null;
  lines: Record<string, Line>;
  lastEventId: number;
  log: string[];
  connection: "idle" | "open" | "reconnecting" | "closed";
  setRun(run: Run): void;
  reset(): void;
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
    run: null,
    lines: {},
    lastEventId: 0,
    log: [],
    connection: "idle",
    setRun: (run) => set({ run }),
    reset: () => set({ run: null, lines: {}, lastEventId: 0, log: [], connection: "idle" }),
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
        const patch = { state: d.state as RunState, error: typeof d.error === "string" ? d.error : run?.error };
        set({ run: run ? { ...run, ...patch } : ({ id: Number(d.run), ...patch } as Run) });
      } else if (type === "log") {
        const line = typeof d.message === "string" ? d.message : JSON.stringify(d);
        set({ log: [...get().log, line].slice(-LOG_LINES) });
      }
      return true;
    },
    setConnection: (connection) => set({ connection }),
  }));
}

/**
 * Accept the series answer in the shapes a downsampler may give:
 * {series: {key: {x|steps, y|values}}}, {key: [...points]} or a list of lines.
 */
export function pointsFromSeries(body: unknown): Point[] {
  const out: Point[] = [];
  const addLine = (key: string, line: unknown) => {
    if (Array.isArray(line)) {
      for (const p of line as Record<string, number>[]) out.push({ key, step: p.step ?? p.x, value: p.value ?? p.y });
      return;
    }
    const l = (line ?? {}) as Record<string, unknown>;
    const xs = (l.x ?? l.steps ?? l.step) as number[] | undefined;
    const ys = (l.y ?? l.values ?? l.value) as number[] | undefined;
    if (Array.isArray(l.points)) return addLine(key, l.points);
    if (Array.isArray(xs) && Array.isArray(ys)) xs.forEach((x, i) => out.push({ key, step: x, value: ys[i] }));
  };
  const b = (body ?? {}) as Record<string, unknown>;
  const container = (b.series ?? b.results ?? b) as unknown;
  if (Array.isArray(container)) for (const l of container as Record<string, unknown>[]) addLine(String(l.key), l);
  else for (const [key, line] of Object.entries(container as Record<string, unknown>)) addLine(key, line);
  return out.filter((p) => typeof p.value === "number" && typeof p.step === "number");
}

export const runsStore = createRunsStore();
export const useRun = <T>(selector: (s: RunsState) => T): T => useStore(runsStore, selector);
