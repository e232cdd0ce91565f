/** Who is logged in. `check` asks GET /api/auth/me, which also sets the CSRF cookie. */
import { create } from "zustand";
import { auth } from "../api/endpoints";
import type { User } from "../api/types";

interface SessionState {
  user: User | null;
  status: "unknown" | "in" | "out";
  check(): Promise<void>;
  setUser(user: User | null): void;
}

export const useSession = create<SessionState>()((set) => ({
  user: null,
  status: "unknown",
  check: async () => {
    try {
      set({ user: await auth.me(), status: "in" });
    } catch {
      set({ user: null, status: "out" });
    }
  },
  setUser: (user) => set({ user, status: user ? "in" : "out" }),
}));
