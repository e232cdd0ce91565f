/**
 * Unsaved editor work kept across a lost session: when the session ends the
 * editor writes its document here, keyed by graph id, and offers it back
 * after the person has logged in again. sessionStorage, not localStorage: it
 * survives reloading the login page in this tab, dies with the tab, and is not
 * seen by other tabs (which may hold other edits of the same graph).
 */
import { parseDocument, type GraphDocument } from "../schemas/graph";

export interface Draft {
  doc: GraphDocument;
  /** The saved version the edit started from. */
  base: number | null;
  /** When it was kept (ISO time). */
  at: string;
}

const key = (graph: number) => `netweave:draft:${graph}`;

function store(): Storage | null {
  return typeof window === "undefined" ? null : window.sessionStorage;
}

export function keepDraft(graph: number, draft: Draft, storage = store()): void {
  try {
    storage?.setItem(key(graph), JSON.stringify(draft));
  } catch {
    // Full or disabled storage: the edit is lost with the page, as before.
  }
}

/** The kept draft of `graph`, or null (also for one that no longer reads as a document). */
export function readDraft(graph: number, storage = store()): Draft | null {
  const text = storage?.getItem(key(graph));
  if (!text) return null;
  try {
    const raw = JSON.parse(text) as Partial<Draft>;
    const parsed = parseDocument(raw.doc);
    if (parsed.ok) return { doc: parsed.doc, base: typeof raw.base === "number" ? raw.base : null, at: String(raw.at ?? "") };
  } catch {
    // fall through: drop what cannot be read
  }
  storage?.removeItem(key(graph));
  return null;
}

export function dropDraft(graph: number, storage = store()): void {
  storage?.removeItem(key(graph));
}
