/** A project's datasets on its page: the built-ins (and which local ones are missing) and its uploads. */
import { useState } from "react";
import { datasets } from "../../api/endpoints";
import type { Dataset } from "../../api/types";
import { errorText, keys, queryClient, useDatasets } from "../../api/queries";
import { describeShape, describeSizes } from "../../lib/datasets";
import { formatBytes } from "../../lib/format";
import { ErrorNote, Spinner } from "../ui/Spinner";
import { UploadDialog } from "./UploadDialog";

function DatasetRow({ d, canEdit, onRemove }: { d: Dataset; canEdit: boolean; onRemove: (d: Dataset) => void }) {
  const missing = d.available === false;
  return (
    <tr data-testid={`dataset-${d.name}`} className={missing ? "muted" : undefined}>
      <td>
        <b>{d.name}</b>
        {d.help && <div className="muted small">{d.help}</div>}
        {missing && d.error && <div className="small warn-text">{d.error}</div>}
      </td>
      <td>{d.source === "upload" ? `upload (${d.kind}${d.size ? `, ${formatBytes(d.size)}` : ""})` : d.source === "local" ? "local files" : "built in"}</td>
      <td>{missing ? <span className="tag">files missing</span> : describeShape(d)}</td>
      <td className="small">{describeSizes(d.sizes)}</td>
      <td>{canEdit && d.source === "upload" && <button className="btn btn-ghost" onClick={() => onRemove(d)} aria-label={`Delete ${d.name}`}>Delete</button>}</td>
    </tr>
  );
}

export function DatasetsSection({ projectId, canEdit }: { projectId: number; canEdit: boolean }) {
  const list = useDatasets(projectId);
  const reload = () => void queryClient.invalidateQueries({ queryKey: keys.datasets(projectId) });
  const [uploading, setUploading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const remove = async (d: Dataset) => {
    if (!window.confirm(`Delete the dataset '${d.name}'? Runs that used it keep their results.`)) return;
    setError(null);
    try {
      await datasets.remove(Number(d.id));
      reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <section data-testid="datasets">
      <h2>
        Datasets{" "}
        {canEdit && <button className="btn" onClick={() => setUploading(true)}>Upload dataset</button>}
      </h2>
      <ErrorNote message={error ?? errorText(list.error)} />
      {list.isPending && <Spinner label="Loading datasets" />}
      {list.data && (
        <table className="table">
          <thead><tr><th>name</th><th>source</th><th>input → output</th><th>splits</th><th /></tr></thead>
          <tbody>{list.data.map((d) => <DatasetRow key={String(d.id)} d={d} canEdit={canEdit} onRemove={remove} />)}</tbody>
        </table>
      )}
      {uploading && (
        <UploadDialog projectId={projectId} onClose={() => setUploading(false)}
          onUploaded={() => { setUploading(false); reload(); }} />
      )}
    </section>
  );
}
