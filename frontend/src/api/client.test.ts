import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ApiError, attachmentName, errorMessage, isSignedOut, onSessionEnd, readCookie, request } from "./client";

describe("api client", () => {
  it("reads the CSRF token from the cookie", () => {
    expect(readCookie("sessionid=abc; csrftoken=t0k%3D; other=1", "csrftoken")).toBe("t0k=");
    expect(readCookie("sessionid=abc", "csrftoken")).toBeNull();
  });

  it("names a download as the server's Content-Disposition does", () => {
    expect(attachmentName('attachment; filename="runs-3-4-series.csv"')).toBe("runs-3-4-series.csv");
    expect(attachmentName("attachment")).toBeNull();
    expect(attachmentName(null)).toBeNull();
  });

  it("turns DRF error bodies into one sentence", () => {
    expect(errorMessage(403, { detail: "Authentication credentials were not provided." })).toMatch(/credentials/);
    expect(errorMessage(400, { errors: [{ node: "c", message: "bad kernel" }] })).toBe("bad kernel");
    expect(errorMessage(400, { name: ["This field is required."] })).toBe("name: This field is required.");
    expect(errorMessage(0, null)).toMatch(/could not be reached/);
  });

  it("tells a signed-out answer from a refusal", () => {
    expect(isSignedOut(401, null)).toBe(true);
    expect(isSignedOut(403, { detail: "x", code: "not_authenticated" })).toBe(true);
    expect(isSignedOut(403, { detail: "Only the owner may add members." })).toBe(false);
    expect(isSignedOut(404, { code: "not_authenticated" })).toBe(false);
  });
});

/** fetch answering as the API does (tests/api/test_auth.py checks those answers) for a signed-out caller, a refused one and a fine one. */
describe("api client and the end of the session", () => {
  beforeAll(() => {
    vi.stubGlobal("fetch", async (url: string) => {
      const signedOut = url.startsWith("/api/gone") || url.startsWith("/api/auth/me");
      const [status, body] = signedOut
        ? [403, { detail: "Authentication credentials were not provided.", code: "not_authenticated" }]
        : url.startsWith("/api/forbidden") ? [403, { detail: "Only the owner may do that." }] : [200, { ok: true }];
      return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
    });
  });
  afterAll(() => {
    vi.unstubAllGlobals();
    onSessionEnd(null);
  });
  it("reports the end of the session, then throws the error as usual", async () => {
    const ended = vi.fn();
    onSessionEnd(ended);
    await expect(request("POST", "/gone", { a: 1 })).rejects.toMatchObject({ status: 403, message: /credentials/ });
    expect(ended).toHaveBeenCalledTimes(1);
    await expect(request("GET", "/forbidden")).rejects.toBeInstanceOf(ApiError);
    expect(await request("GET", "/fine")).toEqual({ ok: true });
    // Asking who is signed in is how the app starts: "nobody" there is no ended session.
    await expect(request("GET", "/auth/me")).rejects.toMatchObject({ status: 403 });
    expect(ended).toHaveBeenCalledTimes(1);
  });
});
