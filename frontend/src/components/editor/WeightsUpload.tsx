/**
 * Pretrained weights for a backbone node: the file goes to the server, which reads it with
 * weights_only=True and matches its keys and shapes against this node's backbone; on success
 * the node's `weights_file` is set to the stored file, otherwise the first mismatch is shown.
 */
import { useState } from "react";
import { ApiError } from "../../api/client";
import { weights } from "../../api/endpoints";
import type { Node } from "../../schemas/graph";

export function WeightsUpload({ node, projectId, onPath }: { node: Node; projectId: number; onPath: (path: string) => void }) {
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  const upload = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    setNote(null);
    try {
      const answer = await weights.upload(projectId, file, node);
      onPath(answer.path);
      setNote({ ok: true, text: `${answer.keys} tensors (${answer.parameters.toLocaleString("en")} values) fit ${node.op}` });
    } catch (e) {
      const first = e instanceof ApiError ? e.errors[0]?.message ?? e.message : String(e);
      setNote({ ok: false, text: first });
    } finally {
      setBusy(false);
    }
  };
  return (
    <label className="field" data-testid="weights-upload">
      <span className="field-label">pretrained weights<span className="field-help">A state dict (.pt) for this backbone, checked before it is kept</span></span>
      <input type="file" accept=".pt,.pth,.bin" disabled={busy} onChange={(e) => upload(e.target.files?.[0])} />
      {note && <span className={note.ok ? "muted small" : "field-error"} data-testid="weights-note">{note.text}</span>}
    </label>
  );
}
