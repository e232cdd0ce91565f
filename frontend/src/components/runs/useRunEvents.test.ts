import { QueryClient, QueryObserver } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import { refreshAfterEnd } from "./useRunEvents";

const client = () => new QueryClient({ defaultOptions: { queries: { staleTime: 2_000, retry: false } } });

/** What a panel mounting now is shown, once its query settles. */
function mount(c: QueryClient, queryKey: unknown[], queryFn: () => Promise<string>): Promise<string | undefined> {
  const observer = new QueryObserver(c, { queryKey, queryFn });
  return new Promise((resolve) => {
    const stop = observer.subscribe((r) => {
      if (r.fetchStatus === "idle" && r.status !== "pending") {
        stop();
        resolve(r.data);
      }
    });
  });
}

describe("refreshAfterEnd", () => {
  it("reads again what was being read, unseen, while the run ended", async () => {
    // The panel unmounted between two renders while its first read was under way: that read saw
    // the run before its end and lands after it.
    const c = client();
    const key = ["runs", 5, "insights"];
    let server = "running, no calibration yet";
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    const queryFn = async () => {
      const seen = server;
      if (reads++ === 0) await gate;
      return seen;
    };
    void c.prefetchQuery({ queryKey: key, queryFn });
    server = "succeeded, with calibration";
    await refreshAfterEnd(c, 5);
    release();
    expect(await mount(c, key, queryFn)).toBe("succeeded, with calibration");
  });

  it("reads again at once what is shown", async () => {
    const c = client();
    const key = ["runs", 5, "checkpoints"];
    let server = "epoch 1";
    const queryFn = async () => server;
    expect(await mount(c, key, queryFn)).toBe("epoch 1");
    const observer = new QueryObserver(c, { queryKey: key, queryFn });
    const stop = observer.subscribe(() => undefined);
    server = "epoch 2";
    await refreshAfterEnd(c, 5);
    expect(c.getQueryData(key)).toBe("epoch 2");
    stop();
  });

  it("leaves other runs' reads alone", async () => {
    const c = client();
    let reads = 0;
    await c.prefetchQuery({ queryKey: ["runs", 6, "insights"], queryFn: async () => ++reads });
    await refreshAfterEnd(c, 5);
    expect(c.getQueryState(["runs", 6, "insights"])?.isInvalidated).toBe(false);
  });
});
