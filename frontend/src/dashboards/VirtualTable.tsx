/**
 * The runs table, virtualised: rows have one fixed height, so only the rows in
 * view (plus a margin) are in the DOM and 5,000 runs scroll like 50.
 */
import { useState, type UIEvent } from "react";
import type { Column } from "./columns";
import type { TableRow } from "./types";

export const ROW_HEIGHT = 34;
const OVERSCAN = 12;

export function VirtualTable({ rows, columns, sort, onSort, selected, onSelect }: {
  rows: TableRow[];
  columns: Column[];
  sort: string;
  onSort: (sort: string) => void;
  selected: Set<number>;
  onSelect: (id: number, on: boolean) => void;
}) {
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(600);
  const all = columns;
  const template = `36px ${all.map((c) => `${c.width}px`).join(" ")}`;
  const width = 36 + all.reduce((n, c) => n + c.width, 0);
  const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
  const onScroll = (e: UIEvent<HTMLDivElement>) => {
    setTop(e.currentTarget.scrollTop);
    setHeight(e.currentTarget.clientHeight);
  };
  // The checkbox and the first column (the run id) are sticky on the left.
  const sticky = (i: number) => (i === 0 ? { left: 36 } : undefined);
  const direction = (name?: string) => (!name ? "" : sort === name ? " ▲" : sort === `-${name}` ? " ▼" : "");
  return (
    <div className="vt" onScroll={onScroll} data-testid="runs-table" data-rows={rows.length}>
      <div className="vt-head" style={{ gridTemplateColumns: template, width }}>
        <div className="vt-cell vt-sticky" style={{ left: 0 }} />
        {all.map((c, i) => (
          <div key={c.id} className={`vt-cell vt-th ${c.sort ? "sortable" : ""} ${i === 0 ? "vt-sticky" : ""}`} title={c.title} style={sticky(i)}
            onClick={() => c.sort && onSort(sort === `-${c.sort}` ? c.sort : `-${c.sort}`)}>
            {c.title}{direction(c.sort)}
          </div>
        ))}
      </div>
      <div className="vt-body" style={{ height: rows.length * ROW_HEIGHT, width }}>
        {rows.slice(first, last).map((row, i) => (
          <div key={row.id} className={`vt-row ${selected.has(row.id) ? "selected" : ""}`} data-run={row.id}
            style={{ gridTemplateColumns: template, transform: `translateY(${(first + i) * ROW_HEIGHT}px)` }}>
            <div className="vt-cell vt-sticky" style={{ left: 0 }}>
              <input type="checkbox" aria-label={`Select run ${row.id}`} checked={selected.has(row.id)}
                onChange={(e) => onSelect(row.id, e.target.checked)} />
            </div>
            {all.map((c, i) => (
              <div key={c.id} className={`vt-cell ${c.className ?? ""} ${i === 0 ? "vt-sticky" : ""}`} style={sticky(i)}>{c.cell(row)}</div>
            ))}
          </div>
        ))}
      </div>
    </div>
  );
}
