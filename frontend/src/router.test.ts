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
