/** Bottom bar: validity, totals (params, FLOPs, memory), document-level errors and the last hint. */
import { graphStore, isDirty, useGraph } from "../../stores/graph";
import { useValidation } from "../../stores/validation";
import { formatBytes, formatCount } from "../../lib/format";

export function StatusBar() {
  const report = useValidation((s) => s.report);
  const failure = useValidation((s) => s.failure);
  const stale = useValidation((s) => s.reportRevision) < useGraph((s) => s.structureRevision);
  const hint = useGraph((s) => s.hint);
  const dirty = useGraph(isDirty);
  const docErrors = report?.errors.filter((e) => !e.node) ?? [];
  const count = report?.errors.length ?? 0;
  return (
    <footer className="statusbar" data-testid="statusbar">
      <span className={`status-dot ${failure ? "bad" : !report ? "idle" : report.ok ? "ok" : "bad"}`} />
      <span data-testid="validity" data-current={report && !stale ? "true" : "false"}>
        {failure ? `Validation unavailable: ${failure}` : !report ? "Not validated yet" : report.ok ? "Valid" : `${count} error${count === 1 ? "" : "s"}`}
        {stale && report ? " · checking…" : ""}
      </span>
      <span className="stat">params <b data-testid="total-params">{formatCount(report?.totals.params)}</b></span>
      <span className="stat">FLOPs <b>{formatCount(report?.totals.flops)}</b></span>
      <span className="stat">memory <b>{formatBytes(report?.totals.memory)}</b>/sample</span>
      {docErrors.length > 0 && <span className="status-error" title={docErrors.map((e) => e.message).join("\n")}>{docErrors[0].field ? `${docErrors[0].field}: ` : ""}{docErrors[0].message}</span>}
      {hint && (
        <span className="status-hint" role="status" data-testid="hint">
          {hint} <button className="btn btn-ghost" onClick={() => graphStore.getState().setHint(null)}>✕</button>
        </span>
      )}
      <span className="status-right muted">{dirty ? "Unsaved changes" : "Saved"}</span>
    </footer>
  );
}
