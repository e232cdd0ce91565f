/** The layer registry (GET /api/layers) and the project's blocks, for the palette and the inspector. */
import { createStore } from "zustand/vanilla";
import { useStore } from "zustand";
import type { LayerSpec } from "../api/types";
import type { Block } from "../schemas/graph";

export interface CatalogueState {
  layers: LayerSpec[];
  byOp: Record<string, LayerSpec>;
  status: "idle" | "loading" | "ready" | "error";
  error: string | null;
  /** Blocks defined in the project's other graphs: dropping one copies it into this document. */
  projectBlocks: Record<string, Block>;
  setProjectBlocks(blocks: Record<string, Block>): void;
  load(fetchLayers: () => Promise<LayerSpec[]>): Promise<void>;
}

export function createCatalogueStore() {
  return createStore<CatalogueState>()((set, get) => ({
    layers: [],
    byOp: {},
    status: "idle",
    error: null,
    projectBlocks: {},
    setProjectBlocks: (projectBlocks) => set({ projectBlocks }),
    load: async (fetchLayers) => {
      if (get().status === "ready" || get().status === "loading") return;
      set({ status: "loading", error: null });
      try {
        const layers = await fetchLayers();
        set({ layers, byOp: Object.fromEntries(layers.map((l) => [l.op, l])), status: "ready" });
      } catch (err) {
        set({ status: "error", error: err instanceof Error ? err.message : String(err) });
      }
    },
  }));
}

/**
 * The palette's search: every word must match the op, its category or its
 * help; ops whose name starts with the query come first. Grouped by category.
 */
export function searchLayers(layers: LayerSpec[], query: string): [string, LayerSpec[]][] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const q = words.join(" ");
  const hits = layers.filter((l) => {
    const text = `${l.op} ${l.category} ${l.help}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
  // Without a query keep the registry's order (IO first); with one, best matches first.
  const rank = (l: LayerSpec) => (!q ? 0 : l.op.toLowerCase().startsWith(q) ? 0 : l.op.toLowerCase().includes(q) ? 1 : 2);
  if (q) hits.sort((a, b) => rank(a) - rank(b) || a.op.localeCompare(b.op));
  const groups = new Map<string, LayerSpec[]>();
  for (const l of hits) groups.set(l.category, [...(groups.get(l.category) ?? []), l]);
  return [...groups.entries()];
}

export const catalogueStore = createCatalogueStore();
export const useCatalogue = <T>(selector: (s: CatalogueState) => T): T => useStore(catalogueStore, selector);
