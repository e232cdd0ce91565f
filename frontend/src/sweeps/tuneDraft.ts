/**
 * The Tune dialog's search space while it is being picked. A param clicked in the inspector or a
 * graph variable clicked in the variables panel lands here (with its first range from the
 * registry's bounds or choices) and asks for the dialog; the dialog edits the same list, so
 * closing it and picking another param adds to what was picked. One graph's draft at a time.
 */
import { useMemo } from "react";
import { createStore } from "zustand/vanilla";
import { useStore } from "zustand";
import { useCatalogue } from "../stores/catalogue";
import { useGraph } from "../stores/graph";
import type { Dimension } from "./api";
import { candidates } from "./space";

export const FIRST_SPACE: Dimension[] = [{ name: "optimizer.lr", type: "float", low: 1e-4, high: 1e-1, log: true }];

interface TuneDraft {
  graphId: number | null;
  space: Dimension[];
  /** A param was picked: the editor opens the dialog and calls opened(). */
  wanted: boolean;
  forGraph(graphId: number): void;
  setSpace(space: Dimension[]): void;
  pick(dimension: Dimension): void;
  opened(): void;
}

export const tuneDraft = createStore<TuneDraft>()((set, get) => ({
  graphId: null,
  space: FIRST_SPACE,
  wanted: false,
  forGraph: (graphId) => {
    if (get().graphId !== graphId) set({ graphId, space: FIRST_SPACE, wanted: false });
  },
  setSpace: (space) => set({ space }),
  pick: (dimension) => {
    const { space } = get();
    set({ space: space.some((d) => d.name === dimension.name) ? space : [...space, dimension], wanted: true });
  },
  opened: () => set({ wanted: false }),
}));

export const useTuneDraft = <T>(selector: (s: TuneDraft) => T): T => useStore(tuneDraft, selector);

/**
 * What the inspector and the variables panel may offer to tune: name → its first dimension.
 * Only the top level's nodes and variables (a sweep names a node by its top-level id).
 */
export function useTunable(): Map<string, Dimension> {
  const doc = useGraph((s) => s.doc);
  const scope = useGraph((s) => s.scope);
  const byOp = useCatalogue((s) => s.byOp);
  return useMemo(() => (scope === null ? new Map(candidates(doc, byOp).map((c) => [c.name, c.dimension])) : new Map()),
    [doc, scope, byOp]);
}
