/**
 * A project's runs (/projects/:id/runs): sorted, filtered and searched on the
 * server, up to 5,000 at once in a virtualised table; tags and notes are
 * edited in place; ticked runs open in the compare view.
 */
import { useEffect, useMemo, useState } from "react";
import { Link, navigate } from "../router";
import { ErrorNote, Spinner } from "../components/ui/Spinner";
import { dashboards, TABLE_ROWS } from "./api";
import { errorText, useProject } from "../api/queries";
import { buildColumns, type Column } from "./columns";
import { EditableText } from "./EditableText";
import { useRunsTable } from "./queries";
import { VirtualTable } from "./VirtualTable";
import type { TableQuery, TableRow } from "./types";
import { parseTags } from "./params";
import { EnsembleButton } from "../components/jobs/EnsembleButton";
import { TradeOffChart } from "../components/compress/TradeOffChart";
import "./dashboards.css";

const STATES = ["", "queued", "running", "succeeded", "failed", "cancelled", "pruned"];

function useDebounced<T>(value: T, ms: number): T {
  const [current, setCurrent] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setCurrent(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return current;
}

interface ControlsProps {
  search: string;
  setSearch: (s: string) => void;
  filters: Omit<TableQuery, "q">;
  setFilters: (f: Omit<TableQuery, "q">) => void;
  mode: "best" | "last";
  setMode: (m: "best" | "last") => void;
  selected: number;
  clearSelection: () => void;
}

function TableControls({ search, setSearch, filters, setFilters, mode, setMode, selected, clearSelection }: ControlsProps) {
  return (
    <div className="dash-controls card">
      <input className="input" type="search" placeholder="Search name, notes, tags, graph, #id" aria-label="Search runs"
        value={search} onChange={(e) => setSearch(e.target.value)} />
      <label className="control">state <select aria-label="Filter by state" value={filters.state}
        onChange={(e) => setFilters({ ...filters, state: e.target.value })}>
        {STATES.map((s) => <option key={s} value={s}>{s || "any"}</option>)}
      </select></label>
      <label className="control">tag <input className="input input-small" aria-label="Filter by tag" value={filters.tag}
        onChange={(e) => setFilters({ ...filters, tag: e.target.value.trim() })} /></label>
      <label className="control">metrics <select aria-label="Metric value" value={mode} onChange={(e) => setMode(e.target.value as "best" | "last")}>
        <option value="best">best</option><option value="last">last</option>
      </select></label>
      {selected > 0 && <button className="btn btn-ghost" onClick={clearSelection}>Clear selection</button>}
    </div>
  );
}

function editableColumns(save: (row: TableRow, patch: { tags?: string[]; notes?: string }) => Promise<void>): Column[] {
  return [
    { id: "tags", title: "tags", width: 170, cell: (r: TableRow) => (
      <EditableText value={r.tags.join(", ")} placeholder="add tags" label={`tags of run ${r.id}`}
        onSave={(text) => save(r, { tags: parseTags(text) })} />) },
    { id: "notes", title: "notes", width: 220, cell: (r: TableRow) => (
      <EditableText value={r.notes} placeholder="add a note" label={`notes of run ${r.id}`}
        onSave={(text) => save(r, { notes: text })} />) },
  ];
}

export function RunsTablePage({ params }: { params: Record<string, string> }) {
  const project = Number(params.id);
  const [search, setSearch] = useState("");
  const [filters, setFilters] = useState<Omit<TableQuery, "q">>({ sort: "-created", state: "", tag: "" });
  const [mode, setMode] = useState<"best" | "last">("best");
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [edits, setEdits] = useState<Record<number, Partial<TableRow>>>({});
  const [error, setError] = useState<string | null>(null);
  const q = useDebounced(search, 250);
  const projectName = useProject(project).data?.name;
  const query = { ...filters, q };
  const { answer, fresh, error: loadError } = useRunsTable(project, query);
  const rows = useMemo(() => (answer?.rows ?? []).map((r) => (edits[r.id] ? { ...r, ...edits[r.id] } : r)), [answer, edits]);

  const save = async (row: TableRow, patch: { tags?: string[]; notes?: string }) => {
    await dashboards.patchRun(row.id, patch);
    setEdits((e) => ({ ...e, [row.id]: { ...e[row.id], ...patch } }));
  };
  const columns = answer ? buildColumns(answer, mode, editableColumns(save)) : [];
  const select = (id: number, on: boolean) => setSelected((s) => {
    const next = new Set(s);
    if (on) next.add(id);
    else next.delete(id);
    return next;
  });
  const exportCsv = () => dashboards.tableCsv(project, query).catch((e: Error) => setError(e.message));
  return (
    <div className="content content-wide">
      <div className="crumbs"><Link to="/">Projects</Link> / <Link to={`/projects/${project}`}>{projectName ?? `Project ${project}`}</Link> / Runs</div>
      <div className="page-head">
        <h1>Runs {answer && <span className="muted small">{answer.count} {answer.count > TABLE_ROWS ? `(first ${TABLE_ROWS})` : ""}</span>}</h1>
        <div className="actions">
          <button className="btn" onClick={exportCsv}>Export CSV</button>
          <EnsembleButton projectId={project} runs={[...selected]} />
          <button className="btn btn-primary" disabled={selected.size < 1} data-testid="compare-button"
            onClick={() => navigate(`/compare?runs=${[...selected].join(",")}`)}>
            Compare {selected.size || ""} {selected.size === 1 ? "run" : "runs"}
          </button>
        </div>
      </div>
      <TableControls search={search} setSearch={setSearch} filters={filters} setFilters={setFilters} mode={mode} setMode={setMode}
        selected={selected.size} clearSelection={() => setSelected(new Set())} />
      <ErrorNote message={error ?? errorText(loadError)} />
      {answer && !fresh && answer.rows.length < answer.count && (
        <p className="muted small">Showing the first {answer.rows.length}; loading all {Math.min(answer.count, TABLE_ROWS)}…</p>
      )}
      {!answer ? <Spinner label="Loading runs" /> : answer.count === 0 ? (
        <p className="muted">No runs match. {q || filters.state || filters.tag ? "Change the search or the filters." : "Launch one from a graph."}</p>
      ) : (
        <VirtualTable rows={rows} columns={columns} sort={filters.sort} selected={selected} onSelect={select}
          onSort={(sort) => setFilters({ ...filters, sort })} />
      )}
      <TradeOffChart projectId={project} />
    </div>
  );
}
