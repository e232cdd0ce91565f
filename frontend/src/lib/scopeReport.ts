/**
 * The part of the validation report that the canvas shows for the scope being
 * edited. At the top level that is the report itself; inside an opened block it
 * is the block's first instance (report.blocks, docs/contracts.md section 2)
 * with the errors placed on the block's own nodes, in the report's own shape,
 * so that nodes, edges and the inspector read it as they read the top level.
 */
import type { GraphErrorItem, ValidationReport } from "../api/types";

const cache = new WeakMap<ValidationReport, Map<string, ValidationReport>>();

/** The id of the node of block `scope` that `e` is about; null: the block but no node; undefined: not this block. */
function placeIn(e: GraphErrorItem, scope: string): string | null | undefined {
  const inner = e.in_blocks?.[scope] ?? (e.block === scope ? e.block_node : undefined);
  if (inner) return inner;
  return e.block === scope ? null : undefined;
}

/** Errors of block `scope` with `node` set to the inner node id (null: about the block as a whole). */
export function blockErrors(report: ValidationReport, scope: string): GraphErrorItem[] {
  const out: GraphErrorItem[] = [];
  for (const e of report.errors) {
    const inner = placeIn(e, scope);
    if (inner !== undefined) out.push({ ...e, node: inner });
  }
  return out;
}

/**
 * The report as scope `scope` sees it. The same object for the same report and
 * scope (the canvas and the inspector share it, and node caches keep their
 * objects); null when there is no report yet.
 */
export function scopeReport(report: ValidationReport | null, scope: string | null): ValidationReport | null {
  if (!report || scope === null) return report;
  let byScope = cache.get(report);
  if (!byScope) cache.set(report, (byScope = new Map()));
  let shown = byScope.get(scope);
  if (!shown) {
    const block = report.blocks?.[scope];
    shown = { ...report, errors: blockErrors(report, scope), nodes: block?.nodes ?? {}, edges: block?.edges ?? [] };
    byScope.set(scope, shown);
  }
  return shown;
}

/** The line above an opened block: which instance its shapes come from, or why there are none. */
export function blockBanner(report: ValidationReport | null, scope: string | null): string | null {
  if (scope === null || !report) return null;
  const block = report.blocks?.[scope];
  if (!block) return report.ok ? null : "no shapes: fix the errors that stop shape inference first";
  if (!block.uses || !block.instance) return "this block is not used yet: no shapes";
  const name = block.instance.replace(/\.$/, "");
  return `shapes of ${name}, 1 of ${block.uses} use${block.uses === 1 ? "" : "s"}`;
}
