/** The editor's keyboard shortcuts (listed for people in ShortcutHelp.tsx). */
import { useEffect } from "react";
import { graphStore, scopeOf } from "../../stores/graph";

export interface ShortcutActions {
  save(): void;
  layout(): void;
  fit(): void;
  help(): void;
}

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
}

export function useShortcuts(actions: ShortcutActions) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const g = graphStore.getState();
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key.toLowerCase();
      if (mod && key === "s") {
        e.preventDefault();
        actions.save();
        return;
      }
      if (typing(e.target) || document.querySelector(".modal")) return;
      if (mod && key === "z") {
        e.preventDefault();
        if (e.shiftKey) g.redo();
        else g.undo();
      } else if (mod && key === "y") {
        e.preventDefault();
        g.redo();
      } else if (mod && key === "c") g.copy();
      else if (mod && key === "v") g.paste();
      else if (mod && key === "a") {
        e.preventDefault();
        g.setSelection(scopeOf(g.doc, g.scope).nodes.map((n) => n.id));
      } else if (e.key === "Delete" || e.key === "Backspace") g.deleteSelection();
      else if (e.key === "Escape") {
        if (g.selection.length || g.edgeSelection.length) {
          g.setSelection([]);
          g.setEdgeSelection([]);
        } else if (g.scope !== null) g.openScope(null);
      } else if (e.key === "?") actions.help();
      else if (e.key === "/") {
        e.preventDefault();
        document.querySelector<HTMLInputElement>(".palette-search")?.focus();
      } else if (!mod && key === "l") actions.layout();
      else if (!mod && key === "f") actions.fit();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [actions]);
}
