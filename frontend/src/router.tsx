/**
 * A small history router: the route table lives in routes.tsx, this file only
 * matches paths (`/graphs/:id`) and moves between them.
 */
import { useSyncExternalStore, type AnchorHTMLAttributes, type ComponentType, type MouseEvent } from "react";

export interface Route {
  path: string;
  page: ComponentType<{ params: Record<string, string> }>;
  /** Reachable without logging in. */
  public?: boolean;
}

const CHANGE = "netweave:navigate";

function subscribe(cb: () => void) {
  window.addEventListener("popstate", cb);
  window.addEventListener(CHANGE, cb);
  return () => {
    window.removeEventListener("popstate", cb);
    window.removeEventListener(CHANGE, cb);
  };
}

export function usePath(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname + window.location.search);
}

type LeaveGuard = () => string | null;
let leaveGuard: LeaveGuard | null = null;

/**
 * While a page has something to lose (the editor's unsaved changes), `guard`
 * says what; moving to another page then asks the person first. Returns the
 * function that removes the guard.
 */
export function setLeaveGuard(guard: LeaveGuard): () => void {
  leaveGuard = guard;
  return () => {
    if (leaveGuard === guard) leaveGuard = null;
  };
}

/** True when nothing would be lost, or the person agreed to lose it. */
export function confirmLeave(ask: (message: string) => boolean = (m) => window.confirm(m)): boolean {
  const message = leaveGuard?.();
  return !message || ask(message);
}

/** Move to `to`; false when the person chose to stay. `force` skips the guard
 * (the session ended: the editor has kept its draft already). */
export function navigate(to: string, { replace = false, force = false } = {}): boolean {
  if (!force && !confirmLeave()) return false;
  if (replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  window.dispatchEvent(new Event(CHANGE));
  return true;
}

export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const a = pattern.split("/").filter(Boolean);
  const b = path.split("?")[0].split("/").filter(Boolean);
  if (a.length !== b.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    if (a[i].startsWith(":")) params[a[i].slice(1)] = decodeURIComponent(b[i]);
    else if (a[i] !== b[i]) return null;
  }
  return params;
}

export function resolve(routes: Route[], path: string): { route: Route; params: Record<string, string> } | null {
  for (const route of routes) {
    const params = matchPath(route.path, path);
    if (params) return { route, params };
  }
  return null;
}

export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const go = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={go} {...rest} />;
}
