/**
 * Starting a job of any kind: the kind's config form (from its JSON Schema), the dataset, the
 * input run's checkpoint, name, tags and resources. Launch, Clone and the run page's job buttons
 * (Evaluate, ...) are all this dialog; what differs is what they pass in and do on submit.
 */
import { useEffect, useMemo, useState, type FormEvent, type ReactNode } from "react";
import { ApiError } from "../../api/client";
import type { Dataset, DatasetRef, JobKind } from "../../api/types";
import { errorText, useDatasets } from "../../api/queries";
import { FormActions, Modal } from "../ui/Modal";
import { ErrorNote, Spinner } from "../ui/Spinner";
import { recall, remember } from "./remembered";
import { defaultsOf, withValue } from "./schema";
import { SchemaForm } from "./SchemaForm";
import { useJobKinds } from "./useJobKinds";

export interface JobSettings {
  /** The chosen dataset; null = the input run's own. */
  dataset: Dataset | null;
  datasetRef: DatasetRef | undefined;
  config: Record<string, unknown>;
  /** Processes (devices) per node. */
  devices: number;
  /** Workers the run spans, all reserved before any starts (multi-node DDP, docs/multinode.md). */
  nodes: number;
  queue: string;
  /** Higher starts first among the queue's waiting runs (-100..100). */
  priority: number;
  name: string;
  tags: string[];
  checkpoint: "best" | "last";
}

export interface JobDialogProps {
  kind: string;
  projectId: number;
  title?: string;
  /** Where the last settings are remembered ("graph-12"); none: not remembered. */
  rememberAs?: string;
  /** Pre-filled settings (a clone): they win over remembered ones. */
  initial?: { config?: Record<string, unknown>; dataset?: Record<string, unknown> | null; devices?: number; nodes?: number; queue?: string; priority?: number; name?: string; tags?: string[] };
  /** The run a job with inputs starts from (its dataset is the default). */
  fromRun?: { id: number; datasetName: string };
  /** Under the dataset: e.g. the editor's "bind the input" choice. */
  datasetExtra?: (dataset: Dataset) => ReactNode;
  /** Beside the input run's checkpoint and the dataset: e.g. Distill's student graph. */
  inputsExtra?: ReactNode;
  submitLabel?: string;
  onClose: () => void;
  onSubmit: (s: JobSettings) => Promise<void>;
}

/** The id a run's pinned dataset spec has in the datasets list: the built-in kind, or the upload's id. */
export function datasetIdOf(spec: Record<string, unknown> | null | undefined): string | null {
  if (!spec) return null;
  if (typeof spec.upload === "number") return String(spec.upload);
  if (typeof spec.id === "number") return String(spec.id);
  return typeof spec.kind === "string" ? spec.kind : null;
}

function refFor(dataset: Dataset, initial: Record<string, unknown> | null | undefined): DatasetRef {
  if (dataset.source === "upload") return { id: Number(dataset.id) };
  // A clone keeps the built-in's options (sizes, noise) when the same dataset stays chosen.
  const options = initial && datasetIdOf(initial) === String(dataset.id) && typeof initial.options === "object" ? initial.options : {};
  return { kind: dataset.kind, options: (options ?? {}) as Record<string, unknown> };
}

/** Defaults first, then what is remembered or pre-filled, field by field. */
function merged(base: Record<string, unknown>, over: Record<string, unknown> | undefined): Record<string, unknown> {
  const out = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) {
    const b = base[k];
    out[k] = v && b && typeof v === "object" && typeof b === "object" && !Array.isArray(v) ? merged(b as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

function fieldErrors(err: unknown): [Record<string, string>, string | null] {
  if (!(err instanceof ApiError)) return [{}, err instanceof Error ? err.message : String(err)];
  const byPath: Record<string, string> = {};
  const rest: string[] = [];
  for (const e of err.errors) {
    const field = e.field ?? "";
    if (field.startsWith("config.")) byPath[field.slice(7)] = e.message;
    else rest.push(`${e.node ?? field ?? ""}${e.node || field ? ": " : ""}${e.message}`);
  }
  return [byPath, rest.length ? rest.join("; ") : Object.keys(byPath).length ? "Some settings need fixing (marked below)." : err.message];
}

/** While the list loads it is a disabled select of the same size: the form below must not move
 * under a click when the list arrives. */
function DatasetSelect({ data, value, onChange, fromRun }: { data: Dataset[] | undefined; value: string; onChange: (id: string) => void; fromRun?: JobDialogProps["fromRun"] }) {
  return (
    <label className="field">
      <span className="field-label">Dataset</span>
      <select name="dataset" data-testid="job-dataset" value={data ? value : "loading"} disabled={!data} aria-busy={!data}
        onChange={(e) => onChange(e.target.value)}>
        {!data && <option value="loading">Loading datasets…</option>}
        {data && fromRun && <option value="">Same as run #{fromRun.id} ({fromRun.datasetName})</option>}
        {(data ?? []).map((d) => (
          <option key={d.id} value={String(d.id)} disabled={d.available === false}>
            {d.name} ({d.kind}{d.input_shape ? `, ${d.input_shape.join("×")}` : ""}{d.num_classes ? `, ${d.num_classes} classes` : ""})
          </option>
        ))}
      </select>
    </label>
  );
}

function RunFields({ kind, s, set }: { kind: JobKind; s: Omit<JobSettings, "dataset" | "datasetRef" | "config">; set: (p: Partial<JobSettings>) => void }) {
  return (
    <div className="grid-2">
      <label className="field"><span className="field-label">Run name</span>
        <input type="text" name="name" maxLength={200} value={s.name} placeholder="optional" onChange={(e) => set({ name: e.target.value })} /></label>
      <label className="field"><span className="field-label">Tags</span>
        <input type="text" name="tags" value={s.tags.join(", ")} placeholder="comma, separated"
          onChange={(e) => set({ tags: e.target.value.split(",").map((t) => t.trim()).filter(Boolean) })} /></label>
      <label className="field"><span className="field-label">Devices{kind.distributed ? "" : " (one process)"}</span>
        <input type="number" name="devices" min={1} max={64} value={s.devices} disabled={!kind.distributed} onChange={(e) => set({ devices: Number(e.target.value) })} /></label>
      <label className="field"><span className="field-label">Nodes (workers){kind.distributed ? "" : " (one worker)"}</span>
        <input type="number" name="nodes" data-testid="job-nodes" min={1} max={64} value={s.nodes} disabled={!kind.distributed}
          title="Workers the run spans, each with this many devices: all are reserved before any starts"
          onChange={(e) => set({ nodes: Number(e.target.value) })} /></label>
      <label className="field"><span className="field-label">Queue</span>
        <select name="queue" value={s.queue} onChange={(e) => set({ queue: e.target.value })}><option value="cpu">cpu</option><option value="gpu">gpu</option></select></label>
      <label className="field"><span className="field-label">Priority (higher starts first)</span>
        <input type="number" name="priority" min={-100} max={100} value={s.priority} onChange={(e) => set({ priority: Number(e.target.value) })} /></label>
    </div>
  );
}

export function JobDialog(props: JobDialogProps) {
  const { kinds, error: kindsError } = useJobKinds();
  const kind = kinds?.find((k) => k.kind === props.kind);
  return (
    <Modal title={props.title ?? (kind ? kind.title : "Launch")} onClose={props.onClose} wide>
      <ErrorNote message={kindsError ?? (kinds && !kind ? `This server has no job kind '${props.kind}'.` : null)} />
      {!kinds && !kindsError && <Spinner label="Loading the job settings" />}
      {kind && <JobForm {...props} kind={kind} />}
    </Modal>
  );
}

function JobForm({ kind, projectId, rememberAs, initial, fromRun, datasetExtra, inputsExtra, submitLabel, onClose, onSubmit }: Omit<JobDialogProps, "kind"> & { kind: JobKind }) {
  const { data, error: failure, isPending: loading } = useDatasets(projectId);
  const error = errorText(failure);
  const remembered = useMemo(() => (rememberAs && !initial ? recall(rememberAs, kind.kind) : {}), [rememberAs, initial, kind.kind]);
  const defaults = useMemo(() => defaultsOf(kind.config_schema), [kind]);
  const [config, setConfig] = useState(() => merged(defaults, initial?.config ?? remembered.config));
  const [datasetId, setDatasetId] = useState<string | null>(fromRun ? "" : (datasetIdOf(initial?.dataset) ?? remembered.datasetId ?? null));
  const [s, setS] = useState({
    devices: kind.distributed ? (initial?.devices ?? remembered.devices ?? 1) : 1,
    nodes: kind.distributed ? (initial?.nodes ?? remembered.nodes ?? 1) : 1, queue: initial?.queue ?? remembered.queue ?? "cpu",
    priority: initial?.priority ?? 0,
    name: initial?.name ?? "", tags: initial?.tags ?? remembered.tags ?? [], checkpoint: "best" as "best" | "last",
  });
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<[Record<string, string>, string | null]>([{}, null]);
  useEffect(() => {
    // First open: digits (or the first dataset) unless something was chosen before.
    if (data?.length && datasetId === null) setDatasetId(String((data.find((d) => d.kind === "digits") ?? data[0]).id));
  }, [data, datasetId]);
  const dataset = data?.find((d) => String(d.id) === datasetId) ?? null;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!fromRun && !dataset) return;
    setBusy(true);
    setProblems([{}, null]);
    const settings: JobSettings = { ...s, config, dataset, datasetRef: dataset ? refFor(dataset, initial?.dataset) : undefined };
    try {
      await onSubmit(settings);
      if (rememberAs) remember(rememberAs, kind.kind, { datasetId: datasetId ?? undefined, config, devices: s.devices, nodes: s.nodes, queue: s.queue, tags: s.tags });
    } catch (err) {
      setProblems(fieldErrors(err));
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} className="launch-form" data-testid="launch-dialog">
      <p className="muted small">{kind.description}</p>
      <ErrorNote message={error} />
      <div className="job-inputs">
        {fromRun && (
          <label className="field"><span className="field-label">Checkpoint of run #{fromRun.id}</span>
            <select name="checkpoint" data-testid="job-checkpoint" value={s.checkpoint} onChange={(e) => setS({ ...s, checkpoint: e.target.value as "best" | "last" })}>
              <option value="best">best (by its monitored metric)</option><option value="last">last</option>
            </select></label>
        )}
        {(data || loading) && <DatasetSelect data={data} value={datasetId ?? ""} onChange={setDatasetId} fromRun={fromRun} />}
        {inputsExtra}
      </div>
      {dataset?.help && <p className="muted small">{dataset.help}</p>}
      {dataset && datasetExtra?.(dataset)}
      <RunFields kind={kind} s={s} set={(p) => setS({ ...s, ...p })} />
      <SchemaForm schema={kind.config_schema} value={config} errors={problems[0]} onChange={(path, v) => setConfig((c) => withValue(c, path, v))} />
      <FormActions error={problems[1]} onCancel={onClose} busy={busy} disabled={!fromRun && !dataset} label={submitLabel ?? kind.title}
        busyLabel="Starting…" testId="launch-confirm" />
    </form>
  );
}
