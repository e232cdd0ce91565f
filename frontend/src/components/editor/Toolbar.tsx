/** The editor's toolbar: back to the project, the graph's name and state, edit tools, export, history, save, launch. */
import type { GraphDetail } from "../../api/types";
import { Link } from "../../router";
import { graphStore, isDirty, useGraph } from "../../stores/graph";

export type Panel = "inspector" | "history";
export type Dialog = "save" | "launch" | "help";
export type ExportFormat = "json" | "py" | "torchscript" | "onnx";

interface Props {
  graph: GraphDetail;
  panel: Panel;
  setPanel: (p: Panel) => void;
  setDialog: (d: Dialog) => void;
  layout: () => void;
  fit: () => void;
  exportAs: (format: ExportFormat) => void;
}

function EditTools({ layout, fit, exportAs }: Pick<Props, "layout" | "fit" | "exportAs">) {
  const canUndo = useGraph((s) => s.past.length > 0);
  const canRedo = useGraph((s) => s.future.length > 0);
  const g = graphStore.getState();
  return (
    <>
      <button className="btn btn-ghost" disabled={!canUndo} onClick={() => g.undo()} title="Undo (Ctrl+Z)">↶ Undo</button>
      <button className="btn btn-ghost" disabled={!canRedo} onClick={() => g.redo()} title="Redo (Ctrl+Shift+Z)">↷ Redo</button>
      <button className="btn btn-ghost" onClick={layout} title="Auto-layout (L)">Layout</button>
      <button className="btn btn-ghost" onClick={fit} title="Zoom to fit (F)">Fit</button>
      <select className="btn btn-ghost" value="" aria-label="Export" onChange={(e) => e.target.value && exportAs(e.target.value as ExportFormat)}>
        <option value="">Export…</option>
        <option value="json">Graph document (.json)</option>
        <option value="py">Python (.py)</option>
        <option value="torchscript">TorchScript (.pt)</option>
        <option value="onnx">ONNX (.onnx)</option>
      </select>
    </>
  );
}

export function EditorToolbar({ graph, panel, setPanel, setDialog, layout, fit, exportAs }: Props) {
  const scope = useGraph((s) => s.scope);
  const dirty = useGraph(isDirty);
  return (
    <div className="toolbar">
      <Link to={`/projects/${graph.project}`} className="btn btn-ghost">← Project</Link>
      <span className="toolbar-title">{graph.name}{graph.latest_version ? <span className="muted"> · v{graph.latest_version}</span> : null}{dirty && <span className="dirty-dot" title="Unsaved changes">●</span>}</span>
      {scope !== null && (
        <span className="scope-crumb">
          editing block <b>{scope}</b> <button className="btn btn-ghost" onClick={() => graphStore.getState().openScope(null)}>Back to graph</button>
        </span>
      )}
      <div className="toolbar-group">
        <EditTools layout={layout} fit={fit} exportAs={exportAs} />
        <button className={`btn btn-ghost ${panel === "history" ? "active" : ""}`} onClick={() => setPanel(panel === "history" ? "inspector" : "history")}>History</button>
        <button className="btn btn-ghost" onClick={() => setDialog("help")} title="Keyboard shortcuts (?)">?</button>
      </div>
      <div className="toolbar-group right">
        <button className="btn" onClick={() => setDialog("save")} data-testid="save">Save</button>
        <button className="btn btn-primary" onClick={() => setDialog("launch")} data-testid="launch">▶ Launch</button>
      </div>
    </div>
  );
}
