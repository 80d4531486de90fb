/**
 * The emulator plumbing the integration tier relies on: a private moto_server, and clients that really act
 * in the account they were assumed into (so "nothing in the eks account" checks mean something).
 */
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { ListRolesCommand, CreateRoleCommand } from "@aws-sdk/client-iam";
import { AccountClients, Moto, accountClients, startMoto } from "../support/moto";
import { INTEGRATION_TIER, integrationTier, tierDescribe } from "../support/tiers";

jest.setTimeout(60000);

tierDescribe(INTEGRATION_TIER, integrationTier())("moto_server test support", () => {
  let moto: Moto | undefined;
  const clients: AccountClients[] = [];

  afterAll(async () => {
    clients.forEach((c) => c.destroy());
    await moto?.stop();
  });

  it("starts on a free 127.0.0.1 port and keeps two assumed accounts apart", async () => {
    moto = await startMoto();
    expect(moto.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const a = await accountClients({ endpoint: moto.endpoint, accountId: "111111111111" });
    const b = await accountClients({ endpoint: moto.endpoint, accountId: "222222222222" });
    clients.push(a, b);
    expect((await a.sts.send(new GetCallerIdentityCommand({}))).Account).toBe("111111111111");
    expect((await b.sts.send(new GetCallerIdentityCommand({}))).Account).toBe("222222222222");

    await b.iam.send(new CreateRoleCommand({ RoleName: "only-in-b", AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [] }) }));
    const names = async (c: AccountClients) => ((await c.iam.send(new ListRolesCommand({}))).Roles ?? []).map((r) => r.RoleName);
    expect(await names(b)).toContain("only-in-b");
    expect(await names(a)).not.toContain("only-in-b");
  });

  it("stops the server it started", async () => {
    const endpoint = moto!.endpoint;
    await moto!.stop();
    await expect(fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
    moto = undefined;
  });
});
