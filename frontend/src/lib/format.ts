/** How numbers and shapes read in the editor. */

/** [null, 32, 8, 8] → "N×32×8×8": the batch dimension is N. */
export function formatShape(shape: (number | null)[] | null | undefined): string {
  if (!shape) return "?";
  return shape.map((d) => (d === null ? "N" : String(d))).join("×");
}

export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** A parameter value as the inspector shows it in a text field. */
export function paramText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.join(", ");
  return String(value);
}

/** A node's first params on one line: "kernel_size=3  out_channels=(width * 2)"; an
 * expression shows in brackets (not "out_channels==width * 2"). */
export function paramSummary(params: Record<string, unknown>, count = 3): string {
  return Object.entries(params).slice(0, count).map(([k, v]) =>
    typeof v === "string" && v.startsWith("=") ? `${k}=(${v.slice(1).trim()})` : `${k}=${paramText(v)}`).join("  ");
}
