/**
 * A compress run's result: the before/after table (every model measured in the same job on
 * the same test split) and the graph version its pruned model became.
 */
import { useInsights } from "../../dashboards/queries";
import type { CompressRow } from "../../dashboards/types";
import { formatBytes, formatCount } from "../../lib/format";
import { Link } from "../../router";

const pct = (v: number | undefined) => (v === undefined ? "–" : `${(v * 100).toFixed(2)}%`);
const ratio = (v: number | null | undefined) => (v === null || v === undefined ? "" : ` (×${v.toFixed(2)})`);
const ms = (v: number) => `${v.toFixed(v < 10 ? 3 : 1)} ms`;

function Row({ row, metric }: { row: CompressRow; metric: string }) {
  const change = (row as Record<string, unknown>)[`${metric}_change`] as number | undefined;
  const value = row.metrics[metric];
  return (
    <tr data-testid={`compress-row-${row.model}`}>
      <td><b>{row.model}</b></td>
      <td className="num">{metric === "accuracy" ? pct(value) : value?.toPrecision(4)}{change ? <span className="muted"> ({change > 0 ? "+" : ""}{metric === "accuracy" ? `${(change * 100).toFixed(2)} pt` : change.toPrecision(3)})</span> : null}</td>
      <td className="num">{formatCount(row.params)}{ratio(row.ratios.params)}</td>
      <td className="num">{row.flops === null ? "–" : formatCount(row.flops)}{ratio(row.ratios.flops)}</td>
      <td className="num">{formatBytes(row.file_bytes)}{ratio(row.ratios.file)}</td>
      <td className="num">{ms(row.latency_b1_ms)}{ratio(row.ratios.latency_b1)}</td>
      <td className="num">{ms(row.latency_b64_ms)}{ratio(row.ratios.latency_b64)}</td>
      <td className="small">{row.notes.join(" ")}</td>
    </tr>
  );
}

/** The run's insights are refreshed by the run page's event stream: the table appears at the end. */
export function CompressReport({ runId }: { runId: number }) {
  const { data } = useInsights(runId);
  const report = data?.compress_report?.data;
  const produced = data?.produced_version?.data;
  if (!report) return null;
  return (
    <div className="card" data-testid="compress-report">
      <h3>Before and after</h3>
      {produced && (
        <p>The pruned model is <Link to={`/graphs/${produced.graph}`}>version {produced.version}</Link> of the graph
          (from version {produced.source_version}); its weights are this run's checkpoint.</p>
      )}
      <table className="table compact">
        <thead><tr><th>model</th><th className="num">{report.metric}</th><th className="num">parameters</th><th className="num">FLOPs</th>
          <th className="num">file</th><th className="num">latency b1</th><th className="num">latency b64</th><th>notes</th></tr></thead>
        <tbody>{report.rows.map((r: CompressRow) => <Row key={r.model} row={r} metric={report.metric} />)}</tbody>
      </table>
      <p className="muted small">Measured in this job on the same test split; latency is the median of repeated CPU timings with the threads fixed; ratios are against the source.</p>
    </div>
  );
}
