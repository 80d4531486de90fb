import { callFailed } from "../../src/verify/checks";
import { errorText } from "../../src/verify/clients";

const named = (name: string, message: string, code?: string) => Object.assign(new Error(message), { name, code });

describe("unexpected AWS errors are 'could not run', with the reason class first", () => {
  it.each([
    [named("AccessDeniedException", "User is not authorized to perform iam:GetRole"), "the verify caller may not read this"],
    [named("CredentialsProviderError", "Could not load credentials from any providers"), "endpoint or credentials unusable"],
    [named("Error", "connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED"), "endpoint or credentials unusable"],
    [named("ThrottlingException", "Rate exceeded"), "unexpected error"],
  ])("%s", (error, why) => {
    const r = callFailed("role.exists", "ci/builder", error, "do this");
    expect(r.status).toBe("error");
    expect(r.detail.startsWith(`${why}: `)).toBe(true);
    expect(r.fix).toBe("do this");
  });

  it("errorText names the error class once", () => {
    expect(errorText(named("NoSuchEntityException", "Role x not found"))).toBe("NoSuchEntityException: Role x not found");
    expect(errorText(named("Error", "plain"))).toBe("plain");
    expect(errorText("text")).toBe("text");
  });
});
