/** Over an opened block: which instance its shapes come from, and errors of the block as a whole. */
import { useGraph } from "../../stores/graph";
import { useValidation } from "../../stores/validation";
import { blockBanner, scopeReport } from "../../lib/scopeReport";

export function BlockBanner() {
  const scope = useGraph((s) => s.scope);
  const report = useValidation((s) => s.report);
  if (scope === null) return null;
  const text = blockBanner(report, scope);
  // Errors of this block that no node of it is to blame for (e.g. it has no Output).
  const whole = scopeReport(report, scope)?.errors.filter((e) => !e.node) ?? [];
  if (!text && !whole.length) return null;
  return (
    <div className="block-banner" data-testid="block-banner">
      {text && <span>{text}</span>}
      {whole.length > 0 && <span className="block-banner-error" title={whole.map((e) => e.message).join("\n")}>{whole[0].message}</span>}
    </div>
  );
}
