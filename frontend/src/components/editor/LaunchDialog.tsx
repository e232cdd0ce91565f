/** Launch training: a dataset, training settings with sensible defaults, devices and queue. */
import { useEffect, useState, type FormEvent } from "react";
import { datasets } from "../../api/endpoints";
import type { Dataset } from "../../api/types";
import { useAsync } from "../../lib/useAsync";
import { FormActions, Modal } from "../ui/Modal";
import { ErrorNote, Spinner } from "../ui/Spinner";

export interface LaunchSettings {
  dataset: Dataset;
  bindInput: boolean;
  config: { epochs: number; batch_size: number; optimizer: { name: string; lr: number }; schedule: { name: string }; seed: number };
  devices: number;
  queue: string;
}

const OPTIMIZERS = ["adam", "adamw", "sgd"];
const SCHEDULES = ["none", "cosine", "onecycle", "step", "reduce_on_plateau"];

export function LaunchDialog({ projectId, onClose, onLaunch }: { projectId: number; onClose: () => void; onLaunch: (s: LaunchSettings) => Promise<void> }) {
  const { data, error, loading } = useAsync(() => datasets.list(projectId), [projectId]);
  const [datasetId, setDatasetId] = useState<string | null>(null);
  const [schedule, setSchedule] = useState("none");
  const [bindInput, setBindInput] = useState(true);
  const [epochs, setEpochs] = useState(2);
  const [batch, setBatch] = useState(64);
  const [optimizer, setOptimizer] = useState("adam");
  const [lr, setLr] = useState(0.001);
  const [devices, setDevices] = useState(1);
  const [queue, setQueue] = useState("cpu");
  const [busy, setBusy] = useState(false);
  const [launchError, setLaunchError] = useState<string | null>(null);
  useEffect(() => {
    if (data?.length && datasetId === null) setDatasetId(String((data.find((d) => d.kind === "digits") ?? data[0]).id));
  }, [data, datasetId]);
  const dataset = data?.find((d) => String(d.id) === datasetId);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!dataset) return;
    setBusy(true);
    setLaunchError(null);
    try {
      await onLaunch({ dataset, bindInput, config: { epochs, batch_size: batch, optimizer: { name: optimizer, lr }, schedule: { name: schedule }, seed: 0 }, devices, queue });
    } catch (err) {
      setLaunchError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  const num = (set: (n: number) => void) => (e: React.ChangeEvent<HTMLInputElement>) => set(Number(e.target.value));
  return (
    <Modal title="Launch training" onClose={onClose}>
      <form onSubmit={submit} className="launch-form" data-testid="launch-dialog">
        {loading && <Spinner label="Loading datasets" />}
        <ErrorNote message={error} />
        {data && data.length === 0 && <p className="muted">No datasets are available to this project yet.</p>}
        {data && data.length > 0 && (
          <label className="field">
            <span className="field-label">Dataset</span>
            <select name="dataset" value={datasetId ?? ""} onChange={(e) => setDatasetId(e.target.value)}>
              {data.map((d) => <option key={d.id} value={String(d.id)} disabled={d.available === false}>{d.name} ({d.kind}{d.input_shape ? `, ${d.input_shape.join("×")}` : ""}{d.num_classes ? `, ${d.num_classes} classes` : ""})</option>)}
            </select>
          </label>
        )}
        {dataset?.help && <p className="muted small">{dataset.help}</p>}
        {dataset?.input_shape && (
          <label className="field field-check">
            <input type="checkbox" checked={bindInput} onChange={(e) => setBindInput(e.target.checked)} />
            <span className="field-label">Bind the input to this dataset's shape ({dataset.input_shape.join("×")})</span>
          </label>
        )}
        <div className="grid-2">
          <label className="field"><span className="field-label">Epochs</span><input type="number" min={1} max={1000} value={epochs} onChange={num(setEpochs)} /></label>
          <label className="field"><span className="field-label">Batch size</span><input type="number" min={1} max={65536} value={batch} onChange={num(setBatch)} /></label>
          <label className="field">
            <span className="field-label">Optimizer</span>
            <select value={optimizer} onChange={(e) => setOptimizer(e.target.value)}>{OPTIMIZERS.map((o) => <option key={o}>{o}</option>)}</select>
          </label>
          <label className="field"><span className="field-label">Learning rate</span><input type="number" step="any" min={0} value={lr} onChange={num(setLr)} /></label>
          <label className="field">
            <span className="field-label">LR schedule</span>
            <select value={schedule} onChange={(e) => setSchedule(e.target.value)}>{SCHEDULES.map((o) => <option key={o}>{o}</option>)}</select>
          </label>
          <label className="field"><span className="field-label">&nbsp;</span></label>
          <label className="field"><span className="field-label">Devices</span><input type="number" min={1} max={64} value={devices} onChange={num(setDevices)} /></label>
          <label className="field">
            <span className="field-label">Queue</span>
            <select value={queue} onChange={(e) => setQueue(e.target.value)}><option value="cpu">cpu</option><option value="gpu">gpu</option></select>
          </label>
        </div>
        <FormActions error={launchError} onCancel={onClose} busy={busy} disabled={!dataset} label="Launch" busyLabel="Launching…" testId="launch-confirm" />
      </form>
    </Modal>
  );
}
