/**
 * Live validation. Every answer is tagged with the graph revision it was asked
 * for; an answer for an older revision never overwrites a newer one (requests
 * can come back out of order). `schedule` debounces: only the last edit of a
 * burst is sent.
 */
import { createStore } from "zustand/vanilla";
import { useStore } from "zustand";
import type { GraphDocument } from "../schemas/graph";
import type { GraphErrorItem, ValidationReport } from "../api/types";

export type Validate = (doc: GraphDocument) => Promise<ValidationReport>;

export interface ValidationState {
  report: ValidationReport | null;
  /** Revision the shown report belongs to (-1: none yet). */
  reportRevision: number;
  /** Latest revision asked for. */
  requestedRevision: number;
  failure: string | null;
  /** Accept an answer; false when it was stale and dropped. */
  applyReport(revision: number, report: ValidationReport): boolean;
  applyFailure(revision: number, message: string): boolean;
  run(revision: number, doc: GraphDocument): Promise<void>;
  schedule(revision: number, doc: GraphDocument): void;
  reset(): void;
}

export function createValidationStore(validate: Validate, delayMs = 300) {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return createStore<ValidationState>()((set, get) => ({
    report: null,
    reportRevision: -1,
    requestedRevision: -1,
    failure: null,
    applyReport: (revision, report) => {
      if (revision < get().reportRevision) return false;
      set({ report: shareUnchanged(get().report, report), reportRevision: revision, failure: null });
      return true;
    },
    applyFailure: (revision, message) => {
      if (revision < get().reportRevision || revision < get().requestedRevision) return false;
      set({ failure: message });
      return true;
    },
    run: async (revision, doc) => {
      set((s) => ({ requestedRevision: Math.max(s.requestedRevision, revision) }));
      try {
        get().applyReport(revision, await validate(doc));
      } catch (err) {
        get().applyFailure(revision, err instanceof Error ? err.message : String(err));
      }
    },
    schedule: (revision, doc) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        void get().run(revision, doc);
      }, delayMs);
    },
    reset: () => {
      if (timer) clearTimeout(timer);
      set({ report: null, reportRevision: -1, requestedRevision: -1, failure: null });
    },
  }));
}

/**
 * Keep the previous answer's per-node objects where nothing changed, so that
 * after an edit only the nodes whose shapes or errors moved are redrawn.
 */
export function shareUnchanged(prev: ValidationReport | null, next: ValidationReport): ValidationReport {
  if (!prev) return next;
  const shared = { ...next, nodes: shareNodes(prev.nodes, next.nodes) };
  // The nodes of an opened block likewise.
  if (next.blocks)
    shared.blocks = Object.fromEntries(Object.entries(next.blocks).map(([name, b]) =>
      [name, { ...b, nodes: shareNodes(prev.blocks?.[name]?.nodes ?? {}, b.nodes) }]));
  return shared;
}

function shareNodes(prev: ValidationReport["nodes"], next: ValidationReport["nodes"]): ValidationReport["nodes"] {
  const nodes: ValidationReport["nodes"] = {};
  for (const [id, n] of Object.entries(next)) {
    const old = prev[id];
    nodes[id] = old && JSON.stringify(old) === JSON.stringify(n) ? old : n;
  }
  return nodes;
}

/** Errors grouped by the node that caused them; document-level ones under "". */
export function errorsByNode(report: ValidationReport | null): Map<string, GraphErrorItem[]> {
  const out = new Map<string, GraphErrorItem[]>();
  for (const e of report?.errors ?? []) {
    const key = e.node ?? "";
    out.set(key, [...(out.get(key) ?? []), e]);
  }
  return out;
}

let store: ReturnType<typeof createValidationStore> | null = null;

/** The editor's validation store, created on first use with the real API call. */
export function validationStore(validate?: Validate) {
  if (!store) {
    if (!validate) throw new Error("validationStore: first call must pass the validate function");
    store = createValidationStore(validate);
  }
  return store;
}

export const useValidation = <T>(selector: (s: ValidationState) => T): T => useStore(validationStore(), selector);
