import { describe, expect, it } from "vitest";
import { matchPath, resolve, type Route } from "./router";

const page = () => null;
const routes: Route[] = [
  { path: "/", page },
  { path: "/graphs/:id", page },
  { path: "/projects/:id/runs", page },
];

describe("router", () => {
  it("matches params and ignores the query", () => {
    expect(matchPath("/graphs/:id", "/graphs/12?x=1")).toEqual({ id: "12" });
    expect(matchPath("/graphs/:id", "/graphs")).toBeNull();
    expect(matchPath("/", "/")).toEqual({});
  });
  it("takes the first route that matches, null for none (the 404 page)", () => {
    expect(resolve(routes, "/projects/3/runs")?.params).toEqual({ id: "3" });
    expect(resolve(routes, "/nowhere")).toBeNull();
  });
});

describe("leaving a page with something to lose", () => {
  it("asks only while a guard says what would be lost, and forgets a removed guard", async () => {
    const { confirmLeave, setLeaveGuard } = await import("./router");
    const asked: string[] = [];
    const ask = (answer: boolean) => (m: string) => (asked.push(m), answer);
    expect(confirmLeave(ask(false))).toBe(true); // no guard: nothing asked
    let dirty = false;
    const remove = setLeaveGuard(() => (dirty ? "unsaved" : null));
    expect(confirmLeave(ask(false))).toBe(true);
    dirty = true;
    expect(confirmLeave(ask(false))).toBe(false);
    expect(confirmLeave(ask(true))).toBe(true);
    expect(asked).toEqual(["unsaved", "unsaved"]);
    remove();
    expect(confirmLeave(ask(false))).toBe(true);
  });
});
