import { describe, expect, it } from "vitest";
import { describeDevices, jobTitle, sinceText } from "./describe";

describe("fleet text", () => {
  it("sums a worker's devices, GPUs grouped by name", () => {
    const gpu = { uuid: "u", memory_used_mb: 0, utilization_percent: 0, name: "NVIDIA H200", memory_mb: 143771 };
    expect(describeDevices({ cpus: 16, memory_mb: 65536, gpus: [{ ...gpu, index: 0 }, { ...gpu, index: 1 }] })).toBe(
      "16 CPUs · 64.0 GiB · 2× NVIDIA H200 (140 GiB)",
    );
    expect(describeDevices({ cpus: 1 })).toBe("1 CPU");
    expect(describeDevices({})).toBe("unknown");
  });

  it("says how long ago a worker was heard from", () => {
    const now = Date.parse("2026-12-02T04:00:00Z");
    expect(sinceText("2026-12-02T03:59:58Z", now)).toBe("2 s ago");
    expect(sinceText("2026-12-02T03:55:00Z", now)).toBe("5 min ago");
  });

  it("names a job without revealing hidden ones", () => {
    expect(jobTitle({ id: null, hidden: true, state: "running", queue: "cpu" })).toBe("a run of another project");
    expect(jobTitle({ id: 7, hidden: false, state: "running", queue: "cpu", name: "wide", project: { id: 1, name: "vision" } })).toBe(
      "#7 wide · vision",
    );
  });
});
