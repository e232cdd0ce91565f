/**
 * Uploading a dataset: which kind a file is, the columns of a CSV (read from
 * its first line in the browser, so the target can be picked from a list),
 * and the options the server's loaders take (workers/engine/data/uploads.py).
 */
import type { Dataset } from "../api/types";

export type UploadKind = "csv" | "image_zip" | "npz";

export const UPLOAD_KINDS: { kind: UploadKind; label: string; accept: string; help: string }[] = [
  { kind: "csv", label: "CSV table", accept: ".csv", help: "A header row, one example per row; pick the target column. Numeric columns are standardised." },
  { kind: "image_zip", label: "Zip of image folders", accept: ".zip", help: "One sub-folder of images per class (PNG or JPEG), resized to one size." },
  { kind: "npz", label: "NumPy .npz", accept: ".npz", help: "Arrays x (examples first) and y (labels or targets); no pickled objects." },
];

export function kindForFile(name: string): UploadKind | null {
  const lower = name.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".zip")) return "image_zip";
  if (lower.endsWith(".npz")) return "npz";
  return null;
}

/** The column names of a CSV's header line (quotes and a BOM handled). */
export function csvColumns(firstLine: string, delimiter = ","): string[] {
  const line = firstLine.replace(/^\uFEFF/, "").replace(/\r?\n.*$/s, "");
  const out: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === delimiter) { out.push(cell.trim()); cell = ""; }
    else cell += c;
  }
  out.push(cell.trim());
  return out.filter((name, i) => name !== "" || i < out.length - 1);
}

export interface UploadChoices {
  target?: string;
  normalize?: boolean;
  /** A CSV of time series, one row per time step (docs/contracts.md section 7). */
  sequences?: boolean;
  /** Its column of time stamps ("" = file order). */
  time?: string;
  height?: number;
  width?: number;
  channels?: "auto" | 1 | 3;
}

/** The `options` object sent with an upload of this kind. */
export function uploadOptions(kind: UploadKind, c: UploadChoices): Record<string, unknown> {
  if (kind === "csv" && c.sequences)
    return { layout: "sequences", ...(c.target ? { target: c.target } : {}), ...(c.time ? { time: c.time } : {}) };
  if (kind === "csv") return { ...(c.target ? { target: c.target } : {}), normalize: c.normalize ?? true };
  if (kind === "image_zip") {
    const size = c.height && c.width ? { size: [c.height, c.width] } : {};
    return { ...size, ...(c.channels && c.channels !== "auto" ? { channels: c.channels } : {}) };
  }
  return {};
}

/** "1×8×8 → 10 classes" or "4 → regression": what a model trained on it takes and gives. */
export function describeShape(d: Dataset): string {
  const input = d.input_shape?.length ? d.input_shape.join("×") : "?";
  const output = d.task === "regression" ? "regression" : d.num_classes ? `${d.num_classes} classes` : d.task ?? "";
  return `${input} → ${output}`;
}

export function describeSizes(sizes: Record<string, number> | undefined | null): string {
  if (!sizes) return "";
  return ["train", "val", "test"].filter((k) => sizes[k] !== undefined).map((k) => `${sizes[k].toLocaleString("en")} ${k}`).join(" · ");
}
