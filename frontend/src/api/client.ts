/**
 * The one place that talks HTTP. Components and stores call the functions in
 * api/endpoints.ts; every write carries the CSRF token from the `csrftoken`
 * cookie (docs/contracts.md section 5), reads go out with the session cookie.
 */
import type { GraphErrorItem } from "./types";

export class ApiError extends Error {
  constructor(
    public status: number,
    message: string,
    public errors: GraphErrorItem[] = [],
    public body: unknown = null,
  ) {
    super(message);
  }
}

export function readCookie(cookies: string, name: string): string | null {
  for (const part of cookies.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/** `?a=1&b=2` from the parameters given (empty ones left out), "" when none. */
export function queryString(params: Record<string, string | number | undefined>): string {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : "";
}

function csrfToken(): string | null {
  return typeof document === "undefined" ? null : readCookie(document.cookie, "csrftoken");
}

/** Turn a DRF answer ({detail} or {errors} or {field: [msgs]}) into one sentence. */
export function errorMessage(status: number, body: unknown): string {
  if (body && typeof body === "object") {
    const b = body as Record<string, unknown>;
    if (typeof b.detail === "string") return b.detail;
    if (Array.isArray(b.errors) && b.errors.length)
      return b.errors.map((e) => (e && typeof e === "object" && "message" in e ? String(e.message) : String(e))).join("; ");
    const fields = Object.entries(b).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(" ") : String(v)}`);
    if (fields.length) return fields.join("; ");
  }
  if (status === 0) return "The server could not be reached. Check your connection and try again.";
  return `The server answered ${status}.`;
}

/** A 401/403 that means "not signed in" (the session ended), not "not allowed". */
export function isSignedOut(status: number, body: unknown): boolean {
  if (status === 401) return true;
  return status === 403 && !!body && typeof body === "object" && (body as { code?: unknown }).code === "not_authenticated";
}

let sessionEnded: (() => void) | null = null;

/**
 * Who hears that the session ended (stores/session installs it): any call but
 * the auth ones answering "not signed in" calls it once per answer, then throws as usual.
 */
export function onSessionEnd(handler: (() => void) | null): void {
  sessionEnded = handler;
}

function failure(path: string, status: number, data: unknown): ApiError {
  if (isSignedOut(status, data) && !path.startsWith("/auth/")) sessionEnded?.();
  const errors = data && typeof data === "object" && Array.isArray((data as { errors?: unknown }).errors)
    ? ((data as { errors: GraphErrorItem[] }).errors)
    : [];
  return new ApiError(status, errorMessage(status, data), errors, data);
}

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

export async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  if (method !== "GET") {
    const token = csrfToken();
    if (token) headers["X-CSRFToken"] = token;
  }
  let res: Response;
  try {
    res = await fetch(`/api${path}`, { method, headers, body: payload, credentials: "same-origin" });
  } catch {
    throw new ApiError(0, errorMessage(0, null));
  }
  if (res.status === 204) return undefined as T;
  const data = parseJson(await res.text());
  if (!res.ok) throw failure(path, res.status, data);
  return data as T;
}

/** An answer's JSON, or null when it has none (an empty body, a proxy's HTML page). */
function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** The file name a download's Content-Disposition gives, if any. */
export function attachmentName(disposition: string | null): string | null {
  return disposition?.match(/filename="([^"]+)"/)?.[1] ?? null;
}

/** Downloads (exports): the browser saves the answer as a file, named as the server names it, else `filename`. */
export async function download(path: string, filename: string): Promise<void> {
  const res = await fetch(`/api${path}`, { credentials: "same-origin" });
  if (!res.ok) throw failure(path, res.status, parseJson(await res.text()));
  saveBlob(await res.blob(), attachmentName(res.headers.get("Content-Disposition")) ?? filename);
}

/** Let the browser save `blob` as a file called `filename`. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.click();
  URL.revokeObjectURL(url);
}
