import { useState, type FormEvent } from "react";
import { projects } from "../api/endpoints";
import { Link, navigate } from "../router";
import { errorText, useProjects } from "../api/queries";
import { formatTime } from "../lib/format";
import { EmptyState, ErrorNote, Spinner } from "../components/ui/Spinner";

export function ProjectsPage() {
  const { data, error: failure, isPending: loading } = useProjects();
  const error = errorText(failure);
  const [name, setName] = useState("");
  const [createError, setCreateError] = useState<string | null>(null);
  const create = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const p = await projects.create(name.trim());
      navigate(`/projects/${p.id}`);
    } catch (err) {
      setCreateError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <div className="content">
      <div className="page-head">
        <h1>Projects</h1>
        <form className="inline-form" onSubmit={create}>
          <input placeholder="New project name" value={name} onChange={(e) => setName(e.target.value)} aria-label="New project name" />
          <button className="btn btn-primary" disabled={!name.trim()}>Create project</button>
        </form>
      </div>
      <ErrorNote message={createError ?? error} />
      {loading && <Spinner label="Loading projects" />}
      {data && data.length === 0 && (
        <EmptyState title="No projects yet">
          <p className="muted">A project holds your graphs, datasets and runs. Create one to start designing.</p>
        </EmptyState>
      )}
      <div className="card-grid">
        {data?.map((p) => (
          <Link key={p.id} to={`/projects/${p.id}`} className="card card-link">
            <h3>{p.name}</h3>
            {p.description && <p className="muted">{p.description}</p>}
            <div className="card-foot muted">
              {p.role && <span className="tag">{p.role}</span>} {formatTime(p.updated ?? p.created)}
            </div>
          </Link>
        ))}
      </div>
    </div>
  );
}
