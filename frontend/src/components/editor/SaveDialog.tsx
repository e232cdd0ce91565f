import { useState, type FormEvent } from "react";
import { FormActions, Modal } from "../ui/Modal";

export function SaveDialog({ onClose, onSave }: { onClose: () => void; onSave: (message: string) => Promise<void> }) {
  const [message, setMessage] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      await onSave(message.trim() || "Saved from the editor");
      onClose();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <Modal title="Save a new version" onClose={onClose}>
      <form onSubmit={submit}>
        <label className="field">
          <span className="field-label">What changed?</span>
          <input autoFocus name="message" value={message} placeholder="e.g. wider first conv" onChange={(e) => setMessage(e.target.value)} />
        </label>
        <FormActions error={error} onCancel={onClose} busy={busy} label="Save version" busyLabel="Saving…" testId="save-confirm" />
      </form>
    </Modal>
  );
}
