import { useEffect, type ReactNode } from "react";
import { ErrorNote } from "./Spinner";

export function Modal({ title, onClose, children, wide }: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`modal ${wide ? "modal-wide" : ""}`} role="dialog" aria-label={title}>
        <div className="modal-head">
          <h2>{title}</h2>
          <button className="btn btn-ghost" aria-label="Close" onClick={onClose}>✕</button>
        </div>
        <div className="modal-body">{children}</div>
      </div>
    </div>
  );
}

/** The foot of a dialog's form: its problem (if any), Cancel, and the submit button. */
export function FormActions({ error, onCancel, busy, disabled, label, busyLabel, testId }: {
  error: string | null; onCancel: () => void; busy: boolean; disabled?: boolean; label: string; busyLabel: string; testId: string;
}) {
  return (
    <>
      <ErrorNote message={error} />
      <div className="modal-actions">
        <button type="button" className="btn btn-ghost" onClick={onCancel}>Cancel</button>
        <button className="btn btn-primary" disabled={busy || disabled} data-testid={testId}>{busy ? busyLabel : label}</button>
      </div>
    </>
  );
}
