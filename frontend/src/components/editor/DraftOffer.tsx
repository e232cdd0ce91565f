/**
 * Unsaved work and a lost session: while the editor is open, the end of the
 * session keeps the unsaved document (lib/drafts); back in the editor after
 * logging in, this banner offers it again. Restoring is one undoable edit on
 * top of the saved version, so Undo shows what the server has.
 */
import { useEffect, useState } from "react";
import { graphStore, isDirty } from "../../stores/graph";
import { beforeSessionEnd } from "../../stores/session";
import { dropDraft, keepDraft, readDraft, type Draft } from "../../lib/drafts";

export function useKeepDraft(graphId: number, base: number | null) {
  useEffect(
    () => beforeSessionEnd(() => {
      const state = graphStore.getState();
      if (isDirty(state)) keepDraft(graphId, { doc: state.doc, base, at: new Date().toISOString() });
    }),
    [graphId, base],
  );
}

export function DraftOffer({ graphId, latest }: { graphId: number; latest: number | null }) {
  const [draft, setDraft] = useState<Draft | null>(() => readDraft(graphId));
  if (!draft) return null;
  const close = () => {
    dropDraft(graphId);
    setDraft(null);
  };
  const restore = () => {
    graphStore.getState().editDocument(() => draft.doc);
    close();
  };
  const when = draft.at ? new Date(draft.at).toLocaleTimeString() : "earlier";
  const newer = latest !== null && draft.base !== latest;
  return (
    <div className="notice" role="status" data-testid="draft-offer">
      <span>
        Your unsaved changes from {when} were kept when your session ended.
        {newer && ` Version ${latest} was saved since: saving them will ask you to compare first.`}
      </span>
      <span className="toolbar-group">
        <button className="btn" onClick={restore}>Restore them</button>
        <button className="btn btn-ghost" onClick={close}>Discard</button>
      </span>
    </div>
  );
}
