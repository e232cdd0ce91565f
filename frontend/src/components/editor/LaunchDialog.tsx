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

interface Training {
  epochs: number;
  batch: number;
  optimizer: string;
  lr: number;
  schedule: string;
  devices: number;
  queue: string;
}

const DEFAULTS: Training = { epochs: 2, batch: 64, optimizer: "adam", lr: 0.001, schedule: "none", devices: 1, queue: "cpu" };

function TrainingFields({ t, set }: { t: Training; set: (patch: Partial<Training>) => void }) {
  const num = (key: keyof Training) => (e: React.ChangeEvent<HTMLInputElement>) => set({ [key]: Number(e.target.value) });
  return (
    <div className="grid-2">
      <label className="field"><span className="field-label">Epochs</span><input type="number" min={1} max={1000} value={t.epochs} onChange={num("epochs")} /></label>
      <label className="field"><span className="field-label">Batch size</span><input type="number" min={1} max={65536} value={t.batch} onChange={num("batch")} /></label>
      <label className="field">
        <span className="field-label">Optimizer</span>
        <select value={t.optimizer} onChange={(e) => set({ optimizer: e.target.value })}>{OPTIMIZERS.map((o) => <option key={o}>{o}</option>)}</select>
      </label>
      <label className="field"><span className="field-label">Learning rate</span><input type="number" step="any" min={0} value={t.lr} onChange={num("lr")} /></label>
      <label className="field">
        <span className="field-label">LR schedule</span>
        <select value={t.schedule} onChange={(e) => set({ schedule: e.target.value })}>{SCHEDULES.map((o) => <option key={o}>{o}</option>)}</select>
      </label>
      <label className="field"><span className="field-label">&nbsp;</span></label>
      <label className="field"><span className="field-label">Devices</span><input type="number" min={1} max={64} value={t.devices} onChange={num("devices")} /></label>
      <label className="field">
        <span className="field-label">Queue</span>
        <select value={t.queue} onChange={(e) => set({ queue: e.target.value })}><option value="cpu">cpu</option><option value="gpu">gpu</option></select>
      </label>
    </div>
  );
}

function DatasetFields({ data, datasetId, setDatasetId, bindInput, setBindInput }: {
  data: Dataset[]; datasetId: string | null; setDatasetId: (id: string) => void; bindInput: boolean; setBindInput: (b: boolean) => void;
}) {
  const dataset = data.find((d) => String(d.id) === datasetId);
  if (!data.length) return <p className="muted">No datasets are available to this project yet.</p>;
  return (
    <>
      <label className="field">
        <span className="field-label">Dataset</span>
        <select name="dataset" value={datasetId ?? ""} onChange={(e) => setDatasetId(e.target.value)}>
          {data.map((d) => <option key={d.id} value={String(d.id)} disabled={d.available === false}>{d.name} ({d.kind}{d.input_shape ? `, ${d.input_shape.join("×")}` : ""}{d.num_classes ? `, ${d.num_classes} classes` : ""})</option>)}
        </select>
      </label>
      {dataset?.help && <p className="muted small">{dataset.help}</p>}
      {dataset?.input_shape && (
        <label className="field field-check">
          <input type="checkbox" checked={bindInput} onChange={(e) => setBindInput(e.target.checked)} />
          <span className="field-label">Bind the input to this dataset's shape ({dataset.input_shape.join("×")})</span>
        </label>
      )}
    </>
  );
}

export function LaunchDialog({ projectId, onClose, onLaunch }: { projectId: number; onClose: () => void; onLaunch: (s: LaunchSettings) => Promise<void> }) {
  const { data, error, loading } = useAsync(() => datasets.list(projectId), [projectId]);
  const [datasetId, setDatasetId] = useState<string | null>(null);
  const [bindInput, setBindInput] = useState(true);
  const [t, setTraining] = useState<Training>(DEFAULTS);
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
      const config = { epochs: t.epochs, batch_size: t.batch, optimizer: { name: t.optimizer, lr: t.lr }, schedule: { name: t.schedule }, seed: 0 };
      await onLaunch({ dataset, bindInput, config, devices: t.devices, queue: t.queue });
    } catch (err) {
      setLaunchError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <Modal title="Launch training" onClose={onClose}>
      <form onSubmit={submit} className="launch-form" data-testid="launch-dialog">
        {loading && <Spinner label="Loading datasets" />}
        <ErrorNote message={error} />
        {data && <DatasetFields data={data} datasetId={datasetId} setDatasetId={setDatasetId} bindInput={bindInput} setBindInput={setBindInput} />}
        <TrainingFields t={t} set={(patch) => setTraining((old) => ({ ...old, ...patch }))} />
        <FormActions error={launchError} onCancel={onClose} busy={busy} disabled={!dataset} label="Launch" busyLabel="Launching…" testId="launch-confirm" />
      </form>
    </Modal>
  );
}
