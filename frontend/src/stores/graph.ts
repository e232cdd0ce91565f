/**
 * The graph being edited: the document, its revision (every change bumps it;
 * validation answers are matched to it), undo/redo, selection and clipboard.
 * Edits go through `edit`, which applies a pure function from lib/graphOps to
 * the scope being shown (the top level, or a block opened for editing).
 */
import { createStore } from "zustand/vanilla";
import { useStore } from "zustand";
import type { Block, GraphDocument, Position } from "../schemas/graph";
import { edgeKey, emptyDocument } from "../schemas/graph";
import * as ops from "../lib/graphOps";
import type { Scope } from "../lib/graphOps";

const HISTORY_LIMIT = 200;

export interface GraphState {
  doc: GraphDocument;
  revision: number;
  /** Bumped by every change except moving nodes: what validation depends on. */
  structureRevision: number;
  /** The document as last loaded or saved: undoing back to it is "no unsaved changes". */
  savedDoc: GraphDocument;
  past: GraphDocument[];
  future: GraphDocument[];
  /** null: the top level; a name: the block being edited. */
  scope: string | null;
  selection: string[];
  /** Selected edges, by edgeKey. */
  edgeSelection: string[];
  clipboard: Scope | null;
  hint: string | null;

  load(doc: GraphDocument): void;
  /** `doc` (the one that was sent) is now the saved version. */
  markSaved(doc: GraphDocument): void;
  edit(change: (scope: Scope) => Scope): void;
  editDocument(change: (doc: GraphDocument) => GraphDocument): void;
  undo(): void;
  redo(): void;
  /** Drag: `beginMove` once (one undo step), then `move` (the canvas sends the drop only). */
  beginMove(): void;
  move(positions: Record<string, Position>): void;
  setSelection(ids: string[]): void;
  setEdgeSelection(keys: string[]): void;
  setHint(hint: string | null): void;
  openScope(block: string | null): void;
  copy(): void;
  paste(): void;
  deleteSelection(): void;
}

export function scopeOf(doc: GraphDocument, scope: string | null): Scope {
  if (scope === null) return { nodes: doc.nodes, edges: doc.edges };
  const block = doc.blocks[scope];
  return block ? { nodes: block.nodes, edges: block.edges } : { nodes: [], edges: [] };
}

export function withScope(doc: GraphDocument, scope: string | null, next: Scope): GraphDocument {
  if (scope === null) return { ...doc, nodes: next.nodes, edges: next.edges };
  const block: Block = { ...(doc.blocks[scope] ?? { params: {} }), nodes: next.nodes, edges: next.edges };
  return { ...doc, blocks: { ...doc.blocks, [scope]: block } };
}

type Set = (partial: Partial<GraphState> | ((s: GraphState) => Partial<GraphState>)) => void;
type Get = () => GraphState;
type Commit = (doc: GraphDocument, record: boolean, structural?: boolean) => void;

/** Replace the document; `record` pushes the previous one for undo. */
function committer(set: Set, get: Get): Commit {
  return (doc, record, structural = true) => {
    const s = get();
    if (doc === s.doc) return;
    set({
      doc,
      revision: s.revision + 1,
      structureRevision: s.structureRevision + (structural ? 1 : 0),
      past: record ? [...s.past, s.doc].slice(-HISTORY_LIMIT) : s.past,
      future: record ? [] : s.future,
    });
  };
}

function historyActions(set: Set, get: Get): Pick<GraphState, "undo" | "redo" | "beginMove"> {
  return {
    undo: () => {
      const s = get();
      const prev = s.past[s.past.length - 1];
      if (!prev) return;
      set({ doc: prev, past: s.past.slice(0, -1), future: [s.doc, ...s.future], revision: s.revision + 1, structureRevision: s.structureRevision + 1 });
    },
    redo: () => {
      const s = get();
      const next = s.future[0];
      if (!next) return;
      set({ doc: next, past: [...s.past, s.doc], future: s.future.slice(1), revision: s.revision + 1, structureRevision: s.structureRevision + 1 });
    },
    beginMove: () => set((s) => ({ past: [...s.past, s.doc].slice(-HISTORY_LIMIT), future: [] })),
  };
}

function clipboardActions(set: Set, get: Get, commit: Commit): Pick<GraphState, "copy" | "paste" | "deleteSelection"> {
  return {
    copy: () => {
      const { doc, scope, selection } = get();
      if (selection.length) set({ clipboard: ops.extract(scopeOf(doc, scope), selection) });
    },
    paste: () => {
      const { doc, scope, clipboard } = get();
      if (!clipboard?.nodes.length) return;
      const result = ops.paste(scopeOf(doc, scope), clipboard);
      commit(withScope(doc, scope, result.scope), true);
      set({ selection: result.ids });
    },
    deleteSelection: () => {
      const { selection, edgeSelection } = get();
      if (!selection.length && !edgeSelection.length) return;
      get().edit((sc) => ops.removeNodes(ops.removeEdges(sc, edgeSelection, edgeKey), selection));
      set({ selection: [], edgeSelection: [] });
    },
  };
}

export function createGraphStore(initial: GraphDocument = emptyDocument()) {
  return createStore<GraphState>()((set, get) => {
    const commit = committer(set, get);
    return {
      doc: initial,
      revision: 0,
      structureRevision: 0,
      savedDoc: initial,
      past: [],
      future: [],
      scope: null,
      selection: [],
      edgeSelection: [],
      clipboard: null,
      hint: null,

      load: (doc) =>
        set((s) => ({ doc, revision: s.revision + 1, structureRevision: s.structureRevision + 1, savedDoc: doc, past: [], future: [], scope: null, selection: [], edgeSelection: [] })),
      markSaved: (doc) => set({ savedDoc: doc }),
      edit: (change) => {
        const { doc, scope } = get();
        commit(withScope(doc, scope, change(scopeOf(doc, scope))), true);
      },
      editDocument: (change) => commit(change(get().doc), true),
      move: (positions) => {
        const { doc, scope } = get();
        commit(withScope(doc, scope, ops.moveNodes(scopeOf(doc, scope), positions)), false, false);
      },
      setSelection: (ids) => set({ selection: ids }),
      setEdgeSelection: (keys) => set({ edgeSelection: keys }),
      setHint: (hint) => set({ hint }),
      openScope: (block) => set({ scope: block, selection: [], edgeSelection: [] }),
      ...historyActions(set, get),
      ...clipboardActions(set, get, commit),
    };
  });
}

/** Unsaved changes: the document differs from the saved one (undo returns the very same object). */
export const isDirty = (s: Pick<GraphState, "doc" | "savedDoc">): boolean => s.doc !== s.savedDoc;

/** The editor's one graph store. */
export const graphStore = createGraphStore();
export const useGraph = <T>(selector: (s: GraphState) => T): T => useStore(graphStore, selector);
