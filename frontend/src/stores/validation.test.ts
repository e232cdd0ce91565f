import { describe, expect, it } from "vitest";
import { createValidationStore, errorsByNode } from "./validation";
import { emptyDocument, type GraphDocument } from "../schemas/graph";
import type { ValidationReport } from "../api/types";

const report = (tag: string, ok = true): ValidationReport => ({
  ok, errors: ok ? [] : [{ node: tag, port: "in", field: null, message: `bad ${tag}` }], nodes: {}, edges: [],
  totals: { params: 0, flops: 0, memory: 0 }, blocks: {},
});

/** A validate function whose answers the test releases in any order. */
function controlled() {
  const pending: { doc: GraphDocument; resolve: (r: ValidationReport) => void; reject: (e: Error) => void }[] = [];
  const validate = (doc: GraphDocument) => new Promise<ValidationReport>((resolve, reject) => pending.push({ doc, resolve, reject }));
  return { validate, pending };
}

describe("validation store: the stale-answer rule", () => {
  it("keeps the newer answer when an older one arrives late", async () => {
    const { validate, pending } = controlled();
    const store = createValidationStore(validate);
    const older = store.getState().run(1, emptyDocument("one"));
    const newer = store.getState().run(2, emptyDocument("two"));
    pending[1].resolve(report("two", false));
    await newer;
    pending[0].resolve(report("one"));
    await older;
    expect(store.getState().reportRevision).toBe(2);
    expect(store.getState().report?.errors[0].node).toBe("two");
  });

  it("takes answers that arrive in order", async () => {
    const { validate, pending } = controlled();
    const store = createValidationStore(validate);
    const a = store.getState().run(1, emptyDocument());
    pending[0].resolve(report("a", false));
    await a;
    const b = store.getState().run(2, emptyDocument());
    pending[1].resolve(report("b"));
    await b;
    expect(store.getState().report?.ok).toBe(true);
    expect(store.getState().applyReport(1, report("late", false))).toBe(false);
  });

  it("reports a failed request only when it is the latest", async () => {
    const { validate, pending } = controlled();
    const store = createValidationStore(validate);
    const a = store.getState().run(1, emptyDocument());
    const b = store.getState().run(2, emptyDocument());
    pending[0].reject(new Error("old failure"));
    await a;
    expect(store.getState().failure).toBeNull();
    pending[1].reject(new Error("server unreachable"));
    await b;
    expect(store.getState().failure).toBe("server unreachable");
  });

  it("debounces: a burst of edits sends only the last document", async () => {
    const { validate, pending } = controlled();
    const store = createValidationStore(validate, 10);
    for (let rev = 1; rev <= 5; rev++) store.getState().schedule(rev, emptyDocument(`rev${rev}`));
    await new Promise((r) => setTimeout(r, 40));
    expect(pending.map((p) => p.doc.name)).toEqual(["rev5"]);
  });

  it("groups errors by node", () => {
    const grouped = errorsByNode({ ...report("conv1", false), errors: [
      { node: "conv1", port: "in", field: null, message: "a" },
      { node: null, port: null, field: "nodes[3].op", message: "b" },
    ] });
    expect(grouped.get("conv1")?.[0].message).toBe("a");
    expect(grouped.get("")?.[0].field).toBe("nodes[3].op");
  });
});

describe("validation store: redrawing only what changed", () => {
  it("keeps the previous per-node objects when a node's report is unchanged", () => {
    const store = createValidationStore(async () => report("x"));
    const node = (c: number) => ({ outputs: { out: [null, c] }, params: 1, flops: 1, memory: 1, inferred: {} });
    store.getState().applyReport(1, { ...report("a"), nodes: { a: node(4), b: node(8) } });
    const first = store.getState().report!;
    store.getState().applyReport(2, { ...report("a"), nodes: { a: node(4), b: node(16) } });
    const second = store.getState().report!;
    expect(second.nodes.a).toBe(first.nodes.a);
    expect(second.nodes.b).not.toBe(first.nodes.b);
    expect(second.nodes.b.outputs.out).toEqual([null, 16]);
  });

  it("does the same for the nodes of each block", () => {
    const store = createValidationStore(async () => report("x"));
    const node = (c: number) => ({ outputs: { out: [null, c] }, params: 1, flops: 1, memory: 1, inferred: {} });
    const block = (c: number) => ({ instance: "res1.", uses: 2, nodes: { fc: node(8), act: node(c) }, edges: [] });
    store.getState().applyReport(1, { ...report("a"), blocks: { Res: block(8) } });
    const first = store.getState().report!.blocks!.Res;
    store.getState().applyReport(2, { ...report("a"), blocks: { Res: block(4), New: block(2) } });
    const second = store.getState().report!.blocks!;
    expect(second.Res.nodes.fc).toBe(first.nodes.fc);
    expect(second.Res.nodes.act.outputs.out).toEqual([null, 4]);
    expect(second.New.nodes.act.outputs.out).toEqual([null, 2]);
  });
});
