import { describe, expect, it } from "vitest";
import { errorMessage, readCookie } from "./client";

describe("api client", () => {
  it("reads the CSRF token from the cookie", () => {
    expect(readCookie("sessionid=abc; csrftoken=t0k%3D; other=1", "csrftoken")).toBe("t0k=");
    expect(readCookie("sessionid=abc", "csrftoken")).toBeNull();
  });

  it("turns DRF error bodies into one sentence", () => {
    expect(errorMessage(403, { detail: "Authentication credentials were not provided." })).toMatch(/credentials/);
    expect(errorMessage(400, { errors: [{ node: "c", message: "bad kernel" }] })).toBe("bad kernel");
    expect(errorMessage(400, { name: ["This field is required."] })).toBe("name: This field is required.");
    expect(errorMessage(0, null)).toMatch(/could not be reached/);
  });
});
