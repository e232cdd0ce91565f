/** Who is logged in. `check` asks GET /api/auth/me, which also sets the CSRF cookie. */
import { create } from "zustand";
import { auth } from "../api/endpoints";
import { onSessionEnd } from "../api/client";
import type { User } from "../api/types";

export const SESSION_ENDED = "Your session ended; log in again.";

interface SessionState {
  user: User | null;
  status: "unknown" | "in" | "out";
  /** Said on the login page: why the person was sent there. */
  notice: string | null;
  check(): Promise<void>;
  setUser(user: User | null): void;
}

export const useSession = create<SessionState>()((set) => ({
  user: null,
  status: "unknown",
  notice: null,
  check: async () => {
    try {
      set({ user: await auth.me(), status: "in" });
    } catch {
      set({ user: null, status: "out" });
    }
  },
  setUser: (user) => set({ user, status: user ? "in" : "out", notice: null }),
}));

const keepers = new Set<() => void>();

/** Run `keep` when the session ends, before the page goes (the editor keeps its unsaved document). */
export function beforeSessionEnd(keep: () => void): () => void {
  keepers.add(keep);
  return () => void keepers.delete(keep);
}

/** An API call answered "not signed in": keep what must be kept, then the shell sends the person to log in. */
export function endSession(): void {
  if (useSession.getState().status !== "in") return;
  for (const keep of keepers) keep();
  useSession.setState({ user: null, status: "out", notice: SESSION_ENDED });
}

onSessionEnd(endSession);
