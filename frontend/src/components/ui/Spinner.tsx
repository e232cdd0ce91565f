export function Spinner({ label = "Loading" }: { label?: string }) {
  return (
    <div className="spinner-wrap" role="status">
      <span className="spinner" /> <span className="muted">{label}…</span>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: React.ReactNode }) {
  return (
    <div className="empty-state">
      <h3>{title}</h3>
      {children}
    </div>
  );
}

export function ErrorNote({ message }: { message: string | null | undefined }) {
  return message ? <div className="error-note" role="alert">{message}</div> : null;
}
