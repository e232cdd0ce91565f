/** Start a graph from a template (GET /api/templates) or from an empty canvas. */
import { useState } from "react";
import { catalogue } from "../api/endpoints";
import { errorText, useTemplates } from "../api/queries";
import { Modal } from "./ui/Modal";
import { ErrorNote, Spinner } from "./ui/Spinner";
import { emptyDocument, type GraphDocument } from "../schemas/graph";

export function TemplateGallery({ onClose, onPick }: { onClose: () => void; onPick: (name: string, doc: GraphDocument) => Promise<void> }) {
  const { data, error: failure, isPending: loading } = useTemplates();
  const error = errorText(failure);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState<string | null>(null);
  const [pickError, setPickError] = useState<string | null>(null);
  const pick = async (template: string | null) => {
    setBusy(template ?? "");
    setPickError(null);
    try {
      const doc = template ? await catalogue.template(template) : emptyDocument(name || "untitled");
      await onPick(name.trim() || (template ?? "untitled"), { ...doc, name: name.trim() || doc.name });
    } catch (err) {
      setPickError(err instanceof Error ? err.message : String(err));
      setBusy(null);
    }
  };
  return (
    <Modal title="New graph" onClose={onClose} wide>
      <label className="field">
        Name
        <input autoFocus value={name} placeholder="e.g. mnist-cnn" onChange={(e) => setName(e.target.value)} aria-label="Graph name" />
      </label>
      <ErrorNote message={pickError ?? error} />
      <div className="card-grid templates">
        <button className="card card-link" disabled={busy !== null} onClick={() => pick(null)}>
          <h3>Empty canvas</h3>
          <p className="muted">Start from nothing and drag layers from the palette.</p>
        </button>
        {loading && <Spinner label="Loading templates" />}
        {data?.map((t) => (
          <button key={t.name} className="card card-link" disabled={busy !== null} onClick={() => pick(t.name)}>
            <h3>{t.title || t.name}</h3>
            <p className="muted">{t.description}</p>
            <div className="card-foot">{t.tags?.map((tag) => <span key={tag} className="tag">{tag}</span>)}</div>
          </button>
        ))}
      </div>
    </Modal>
  );
}
