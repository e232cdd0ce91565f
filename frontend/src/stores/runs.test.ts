import { describe, expect, it } from "vitest";
import type { Run } from "../api/types";
import { createRunsStore, mergeLine, pointsFromSeries } from "./runs";

const metrics = (step: number, value: number) => ({ run: 1, points: [{ key: "train/loss", step, value, time: 0 }] });

describe("runs store", () => {
  it("applies each event id once, so a replay after reconnect counts nothing twice", () => {
    const store = createRunsStore();
    const s = store.getState;
    expect(s().applyEvent(1, "metrics", metrics(10, 0.9))).toBe(true);
    expect(s().applyEvent(2, "metrics", metrics(20, 0.7))).toBe(true);
    expect(s().applyEvent(1, "metrics", metrics(10, 0.9))).toBe(false);
    expect(s().applyEvent(2, "metrics", metrics(20, 0.7))).toBe(false);
    expect(s().applyEvent(3, "metrics", metrics(30, 0.5))).toBe(true);
    expect(s().lines["train/loss"]).toEqual({ steps: [10, 20, 30], values: [0.9, 0.7, 0.5] });
    expect(s().lastEventId).toBe(3);
  });

  it("tracks the state, keeping the run's other fields", () => {
    const store = createRunsStore();
    store.getState().setRun({ id: 1, state: "running", queue: "cpu" } as Run);
    store.getState().applyEvent(9, "state", { run: 1, state: "failed", error: "boom" });
    expect(store.getState().run).toEqual({ id: 1, state: "failed", error: "boom", queue: "cpu" });
  });

  it("follows the run it was reset for: a state that arrives before the run's row is that run's", () => {
    const store = createRunsStore();
    store.getState().setRun({ id: 1, state: "succeeded" } as Run);
    store.getState().reset(2);
    expect(store.getState()).toMatchObject({ runId: 2, run: null, lastEventId: 0 });
    store.getState().applyEvent(4, "state", { state: "succeeded", error: "" });
    expect(store.getState().run).toEqual({ id: 2, state: "succeeded", error: "" });
  });

  it("merges the initial series with live points by step", () => {
    const line = mergeLine({ steps: [1, 3], values: [1, 3] }, [{ step: 2, value: 2 }, { step: 3, value: 30 }, { step: 4, value: 4 }]);
    expect(line).toEqual({ steps: [1, 2, 3, 4], values: [1, 2, 30, 4] });
  });

  it("reads the series answer's columns as points", () => {
    const lines = [{ key: "train/loss", count: 2, step: [1, 2], value: [0.5, 0.4] }];
    expect(pointsFromSeries(lines)).toEqual([{ key: "train/loss", step: 1, value: 0.5 }, { key: "train/loss", step: 2, value: 0.4 }]);
  });
});
