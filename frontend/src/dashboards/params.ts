/** What the dashboards read from URLs and text fields. */

export function runIdsFrom(search: string): number[] {
  const raw = new URLSearchParams(search).get("runs") ?? "";
  return [...new Set(raw.split(",").map(Number).filter((n) => Number.isInteger(n) && n > 0))];
}

/** Points a line (?points=, 4 to 10,000; 1,000 by default): more detail on a wide screen, or raw series. */
export function pointsFrom(search: string): number {
  const n = Number(new URLSearchParams(search).get("points"));
  return Number.isInteger(n) && n >= 4 && n <= 10000 ? n : 1000;
}

/** "a, b,,a" → ["a", "b"]: the tags a person typed in the table. */
export function parseTags(text: string): string[] {
  return [...new Set(text.split(",").map((t) => t.trim()).filter(Boolean))];
}
