/**
 * Every trial of a sweep, virtualised like the runs table (fixed row height, only the rows in
 * view in the DOM), so 10,000 trials scroll like 50; the best trials are marked, and a
 * complete trial can be promoted from its row.
 */
import { useState, type UIEvent } from "react";
import { Link } from "../router";
import { StateBadge } from "../components/runs/RunList";
import { formatValue } from "../dashboards/ParallelCoords";
import type { Trial } from "./api";

const ROW = 32;
const OVERSCAN = 10;

function duration(s: number | null) {
  return s === null ? "–" : s < 60 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;
}

export function TrialsTable({ trials, params, best, onPromote }: {
  trials: Trial[]; params: string[]; best: Set<number>; onPromote: (t: Trial) => void;
}) {
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(480);
  const columns = ["#", "state", ...params, "value", "pruned at", "duration", "run", ""];
  const template = `60px 90px ${params.map(() => "120px").join(" ")} 150px 80px 90px 70px 90px`;
  const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
  const last = Math.min(trials.length, Math.ceil((top + height) / ROW) + OVERSCAN);
  const onScroll = (e: UIEvent<HTMLDivElement>) => {
    setTop(e.currentTarget.scrollTop);
    setHeight(e.currentTarget.clientHeight);
  };
  return (
    <div className="vt sweep-trials" onScroll={onScroll} data-testid="trials-table" data-rows={trials.length}>
      <div className="vt-head" style={{ gridTemplateColumns: template }}>
        {columns.map((c, i) => <div key={i} className="vt-cell vt-th">{c}</div>)}
      </div>
      <div className="vt-body" style={{ height: trials.length * ROW }}>
        {trials.slice(first, last).map((t, i) => (
          <div key={t.number} className={`vt-row ${best.has(t.number) ? "selected" : ""}`} data-trial={t.number}
            style={{ gridTemplateColumns: template, transform: `translateY(${(first + i) * ROW}px)`, height: ROW }}>
            <div className="vt-cell">{t.number}{best.has(t.number) ? " ★" : ""}</div>
            <div className="vt-cell"><StateBadge state={t.state} /></div>
            {params.map((p) => <div key={p} className="vt-cell num">{formatValue(t.params[p])}</div>)}
            <div className="vt-cell num" title={t.error}>{t.values ? t.values.map(formatValue).join(" · ") : t.error ? "error" : "–"}</div>
            <div className="vt-cell num">{t.pruned_epoch ?? "–"}</div>
            <div className="vt-cell num">{duration(t.duration_s)}</div>
            <div className="vt-cell">{t.run ? <Link to={`/runs/${t.run}`}>#{t.run}</Link> : "–"}</div>
            <div className="vt-cell">
              {t.state === "complete" && <button className="btn btn-ghost" data-testid={`promote-${t.number}`} onClick={() => onPromote(t)}>Promote</button>}
            </div>
          </div>
        ))}
      </div>
    </div>
  );
}
