/** A cell that turns into a text field on click; Enter saves, Escape gives up. */
import { useRef, useState } from "react";

export function EditableText({ value, placeholder, label, onSave }: {
  value: string;
  placeholder: string;
  label: string;
  onSave: (text: string) => Promise<void>;
}) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(value);
  const [error, setError] = useState<string | null>(null);
  // Enter saves and closes the field; the blur that follows must not save again.
  const open = useRef(false);
  if (!editing)
    return (
      <button className="cell-edit" title={error ?? `Edit ${label}`} aria-label={`Edit ${label}`}
        onClick={() => { setText(value); setEditing(true); open.current = true; }}>
        {value || <span className="muted">{placeholder}</span>}
        {error && <span className="bad"> ⚠</span>}
      </button>
    );
  const save = async () => {
    if (!open.current) return;
    open.current = false;
    setEditing(false);
    if (text === value) return;
    try {
      await onSave(text);
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <input className="cell-input" autoFocus aria-label={label} value={text} onChange={(e) => setText(e.target.value)}
      onBlur={save} onKeyDown={(e) => {
        if (e.key === "Enter") void save();
        if (e.key === "Escape") { open.current = false; setEditing(false); }
      }} />
  );
}
