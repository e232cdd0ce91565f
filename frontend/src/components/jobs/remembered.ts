/** The last launch settings per graph and kind, kept in the browser so the next launch starts from them. */
export interface Remembered {
  datasetId?: string;
  config?: Record<string, unknown>;
  devices?: number;
  nodes?: number;
  queue?: string;
  tags?: string[];
}

const key = (scope: string, kind: string) => `netweave.launch.${scope}.${kind}`;

export function recall(scope: string, kind: string): Remembered {
  try {
    const raw = window.localStorage.getItem(key(scope, kind));
    const value = raw ? JSON.parse(raw) : {};
    return value && typeof value === "object" ? (value as Remembered) : {};
  } catch {
    return {}; // storage off or a value from an older editor: start from the defaults
  }
}

export function remember(scope: string, kind: string, settings: Remembered): void {
  try {
    window.localStorage.setItem(key(scope, kind), JSON.stringify(settings));
  } catch {
    // Full or disabled storage only loses the convenience.
  }
}
