import { useRef, useState } from "react";
import { projects } from "../api/endpoints";
import type { GraphSummary } from "../api/types";
import { Link, navigate } from "../router";
import { errorText, useProject, useProjectGraphs, useProjectRuns } from "../api/queries";
import { formatTime } from "../lib/format";
import { parseDocument, type GraphDocument } from "../schemas/graph";
import { EmptyState, ErrorNote, Spinner } from "../components/ui/Spinner";
import { TemplateGallery } from "../components/TemplateGallery";
import { RunList } from "../components/runs/RunList";
import { DatasetsSection } from "../components/datasets/DatasetsSection";

function GraphsSection({ graphs, loading, onNew }: { graphs: GraphSummary[] | null; loading: boolean; onNew: () => void }) {
  return (
    <>
      <h2>Graphs</h2>
      {loading && <Spinner label="Loading graphs" />}
      {graphs?.length === 0 && (
        <EmptyState title="No graphs in this project">
          <p className="muted">Start from a template or an empty canvas.</p>
          <button className="btn btn-primary" onClick={onNew}>New graph</button>
        </EmptyState>
      )}
      <div className="card-grid">
        {graphs?.map((g) => (
          <Link key={g.id} to={`/graphs/${g.id}`} className="card card-link">
            <h3>{g.name}</h3>
            <div className="card-foot muted">
              {g.latest_version ? `v${g.latest_version}` : ""} {formatTime(g.updated)}
            </div>
          </Link>
        ))}
      </div>
    </>
  );
}

export function ProjectPage({ params }: { params: Record<string, string> }) {
  const id = Number(params.id);
  const project = useProject(id);
  const graphList = useProjectGraphs(id);
  const runList = useProjectRuns(id);
  const [gallery, setGallery] = useState(false);
  const [importError, setImportError] = useState<string | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const create = async (name: string, doc: GraphDocument) => {
    const g = await projects.createGraph(id, name, doc, "Created");
    navigate(`/graphs/${g.id}`);
  };
  const importFile = async (file: File) => {
    setImportError(null);
    try {
      const parsed = parseDocument(JSON.parse(await file.text()));
      if (!parsed.ok) throw new Error(`${file.name} is not a netweave.graph/1 document: ${parsed.errors.slice(0, 3).join("; ")}`);
      const g = await projects.importGraph(id, file.name.replace(/\.json$/i, ""), parsed.doc);
      navigate(`/graphs/${g.id}`);
    } catch (err) {
      setImportError(err instanceof SyntaxError ? `${file.name} is not valid JSON: ${err.message}` : err instanceof Error ? err.message : String(err));
    }
  };

  if (project.error) return <div className="content"><ErrorNote message={errorText(project.error)} /><Link to="/">Back to projects</Link></div>;
  return (
    <div className="content">
      <div className="crumbs"><Link to="/">Projects</Link> / {project.data?.name ?? "…"}</div>
      <div className="page-head">
        <h1>{project.data?.name ?? "Project"}</h1>
        <div className="actions">
          <input ref={fileInput} type="file" accept=".json,application/json" hidden
            onChange={(e) => e.target.files?.[0] && importFile(e.target.files[0])} />
          <button className="btn" onClick={() => fileInput.current?.click()}>Import document</button>
          <button className="btn btn-primary" onClick={() => setGallery(true)}>New graph</button>
        </div>
      </div>
      <ErrorNote message={importError ?? errorText(graphList.error)} />
      <GraphsSection graphs={graphList.data ?? null} loading={graphList.isPending} onNew={() => setGallery(true)} />
      {project.data && <DatasetsSection projectId={id} canEdit={project.data.role !== "viewer"} />}
      <h2>Runs <Link to={`/projects/${id}/runs`} className="small">Open the runs table to sort, compare and export</Link></h2>
      {runList.isPending ? <Spinner label="Loading runs" /> : <RunList runs={runList.data ?? []} />}
      {gallery && <TemplateGallery onClose={() => setGallery(false)} onPick={create} />}
    </div>
  );
}
