import { describe, expect, it } from "vitest";
import { beforeSessionEnd, endSession, SESSION_ENDED, useSession } from "./session";
import { dropDraft, keepDraft, readDraft } from "../lib/drafts";
import { emptyDocument } from "../schemas/graph";

/** sessionStorage's interface over a Map (node has no sessionStorage). */
function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() { return items.size; },
    clear: () => items.clear(),
    getItem: (k) => items.get(k) ?? null,
    key: (i) => [...items.keys()][i] ?? null,
    removeItem: (k) => void items.delete(k),
    setItem: (k, v) => void items.set(k, String(v)),
  };
}

describe("the end of a session", () => {
  it("keeps what must be kept once, then signs out with a notice", () => {
    useSession.getState().setUser({ id: 1, username: "ada" });
    const kept: string[] = [];
    const stop = beforeSessionEnd(() => kept.push("editor"));
    endSession();
    endSession(); // a second failed call while already signed out changes nothing
    expect(kept).toEqual(["editor"]);
    expect(useSession.getState()).toMatchObject({ user: null, status: "out", notice: SESSION_ENDED });
    stop();
    useSession.getState().setUser({ id: 1, username: "ada" });
    expect(useSession.getState().notice).toBeNull();
    endSession();
    expect(kept).toEqual(["editor"]);
  });

  it("keeps a draft per graph and drops one that no longer reads as a document", () => {
    const storage = memoryStorage();
    const doc = { ...emptyDocument("m"), variables: { width: 8 } };
    keepDraft(7, { doc, base: 3, at: "2026-01-01T00:00:00Z" }, storage);
    expect(readDraft(7, storage)).toEqual({ doc, base: 3, at: "2026-01-01T00:00:00Z" });
    expect(readDraft(8, storage)).toBeNull();
    storage.setItem("netweave:draft:9", JSON.stringify({ doc: { schema: "other" } }));
    expect(readDraft(9, storage)).toBeNull();
    expect(storage.getItem("netweave:draft:9")).toBeNull();
    dropDraft(7, storage);
    expect(readDraft(7, storage)).toBeNull();
  });
});
