/** Upload a dataset to a project: the kind follows the file, a CSV's target is picked from its header. */
import { useState, type FormEvent } from "react";
import { datasets } from "../../api/endpoints";
import { ApiError } from "../../api/client";
import type { Dataset } from "../../api/types";
import { csvColumns, kindForFile, UPLOAD_KINDS, uploadOptions, type UploadChoices, type UploadKind } from "../../lib/datasets";
import { FormActions, Modal } from "../ui/Modal";

/** "file: the zip has no images" rather than the bare message: say where the problem is. */
function problem(err: unknown): string {
  if (err instanceof ApiError && err.errors.length)
    return err.errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join("; ");
  return err instanceof Error ? err.message : String(err);
}

interface OptionProps {
  choices: UploadChoices;
  choose: (c: Partial<UploadChoices>) => void;
}

function CsvOptions({ columns, choices, choose }: OptionProps & { columns: string[] }) {
  return (
    <div className="inline-form">
      <label className="field">
        <span className="field-label">Target column</span>
        {columns.length ? (
          <select value={choices.target ?? ""} onChange={(e) => choose({ target: e.target.value })} aria-label="Target column">
            {columns.map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
        ) : (
          <input value={choices.target ?? ""} placeholder="the last column" onChange={(e) => choose({ target: e.target.value })} aria-label="Target column" />
        )}
      </label>
      <label className="field field-check">
        <input type="checkbox" checked={choices.normalize ?? true} disabled={choices.sequences} onChange={(e) => choose({ normalize: e.target.checked })} />
        <span className="field-label">Standardise numeric columns</span>
      </label>
      <label className="field field-check">
        <input type="checkbox" checked={choices.sequences ?? false} onChange={(e) => choose({ sequences: e.target.checked })} />
        <span className="field-label">Time series: one row per time step, grouped by an "id" column (shorter ones left-padded)</span>
      </label>
      {choices.sequences && columns.length > 0 && (
        <label className="field">
          <span className="field-label">Time column</span>
          <select value={choices.time ?? ""} onChange={(e) => choose({ time: e.target.value })} aria-label="Time column">
            <option value="">none (file order)</option>
            {columns.map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
        </label>
      )}
    </div>
  );
}

function ImageOptions({ choices, choose }: OptionProps) {
  return (
    <div className="inline-form">
      <label className="field"><span className="field-label">Height</span>
        <input type="number" min={1} max={1024} placeholder="32" value={choices.height ?? ""} onChange={(e) => choose({ height: Number(e.target.value) || undefined })} aria-label="Height" /></label>
      <label className="field"><span className="field-label">Width</span>
        <input type="number" min={1} max={1024} placeholder="32" value={choices.width ?? ""} onChange={(e) => choose({ width: Number(e.target.value) || undefined })} aria-label="Width" /></label>
      <label className="field"><span className="field-label">Channels</span>
        <select value={String(choices.channels ?? "auto")} onChange={(e) => choose({ channels: e.target.value === "auto" ? "auto" : (Number(e.target.value) as 1 | 3) })} aria-label="Channels">
          <option value="auto">as the images</option><option value="1">1 (grey)</option><option value="3">3 (RGB)</option>
        </select></label>
    </div>
  );
}

function KindField({ kind, setKind }: { kind: UploadKind; setKind: (k: UploadKind) => void }) {
  return (
    <label className="field">
      <span className="field-label">Kind</span>
      <select value={kind} onChange={(e) => setKind(e.target.value as UploadKind)} aria-label="Kind">
        {UPLOAD_KINDS.map((k) => <option key={k.kind} value={k.kind}>{k.label}</option>)}
      </select>
      <span className="muted small">{UPLOAD_KINDS.find((k) => k.kind === kind)!.help}</span>
    </label>
  );
}

export function UploadDialog({ projectId, onClose, onUploaded }: { projectId: number; onClose: () => void; onUploaded: (d: Dataset) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [kind, setKind] = useState<UploadKind>("csv");
  const [name, setName] = useState("");
  const [named, setNamed] = useState(false); // typed by the person: a new file keeps it
  const [columns, setColumns] = useState<string[]>([]);
  const [choices, setChoices] = useState<UploadChoices>({ normalize: true, channels: "auto" });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const choose = (c: Partial<UploadChoices>) => setChoices((old) => ({ ...old, ...c }));

  const pick = async (picked: File | undefined) => {
    setError(null);
    setFile(picked ?? null);
    setColumns([]);
    if (!picked) return;
    const detected = kindForFile(picked.name);
    if (detected) setKind(detected);
    if (!named) setName(picked.name.replace(/\.[^.]+$/, ""));
    if (detected === "csv") {
      const cols = csvColumns(await picked.slice(0, 64 * 1024).text());
      setColumns(cols);
      choose({ target: cols[cols.length - 1] });
    }
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return setError("Choose a file first.");
    setBusy(true);
    setError(null);
    try {
      onUploaded(await datasets.upload(projectId, file, kind, name.trim() || file.name, uploadOptions(kind, choices)));
    } catch (err) {
      setError(problem(err));
      setBusy(false);
    }
  };
  return (
    <Modal title="Upload a dataset" onClose={onClose}>
      <form onSubmit={submit} data-testid="upload-dialog">
        <label className="field">
          <span className="field-label">File (CSV, zip of image folders, or .npz)</span>
          <input type="file" accept=".csv,.zip,.npz" data-testid="dataset-file" onChange={(e) => void pick(e.target.files?.[0])} />
        </label>
        <KindField kind={kind} setKind={setKind} />
        <label className="field">
          <span className="field-label">Name</span>
          <input value={name} onChange={(e) => { setName(e.target.value); setNamed(true); }} aria-label="Dataset name" maxLength={200} />
        </label>
        {kind === "csv" && <CsvOptions columns={columns} choices={choices} choose={choose} />}
        {kind === "image_zip" && <ImageOptions choices={choices} choose={choose} />}
        <FormActions error={error} onCancel={onClose} busy={busy} disabled={!file} label="Upload" busyLabel="Checking the file…" testId="upload-confirm" />
      </form>
    </Modal>
  );
}
