// The connect-time half of the URL policy, against real servers on loopback: whatever a URL's check said, a
// connection to a refused address is never made.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOutboundClient } from "./outbound-client.ts";
import type { Resolve, UrlPolicy } from "./url-policy.ts";

const POLICY: UrlPolicy = { allowPrivate: false, allowedHttpHosts: ["127.0.0.1", "rebind.example"], allowLocalRepos: true };

let server: http.Server;
let port: number;
const seen: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""}`);
    res.end("internal answer");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Where a refused fetch says it failed: undici's TypeError carries the reason as its cause. */
async function failure(p: Promise<Response>): Promise<{ code?: string; message: string }> {
  const err = (await p.then(
    () => null,
    (e: Error) => e,
  )) as (Error & { cause?: { code?: string; message: string } }) | null;
  expect(err).not.toBeNull();
  return err!.cause ?? { message: err!.message };
}

describe("the outbound client", () => {
  it("refuses to connect to a loopback address given as a literal, sending nothing", async () => {
    seen.length = 0;
    const client = createOutboundClient(POLICY);
    const cause = await failure(client.fetch(`http://127.0.0.1:${port}/repos`, { headers: { authorization: "token ghp_x" } }));
    expect(cause).toMatchObject({ code: "url_not_allowed", message: expect.stringMatching(/refused to connect to 127\.0\.0\.1: .*loopback/) });
    expect(seen).toEqual([]);
  });

  it("refuses a name that resolved to a public address at the check and to loopback at connect (DNS rebinding)", async () => {
    seen.length = 0;
    let lookups = 0;
    // The first answer is public (the check passes; nothing ever connects to it), every later one is loopback.
    const rebinding: Resolve = async () => [{ address: lookups++ === 0 ? "93.184.216.34" : "127.0.0.1", family: 4 }];
    const client = createOutboundClient(POLICY, rebinding);
    const url = `http://rebind.example:${port}/repos/acme/math/pulls`;
    await expect(client.check(url, "github.apiUrl")).resolves.toBeInstanceOf(URL);
    const cause = await failure(client.fetch(url, { headers: { authorization: "token ghp_x" } }));
    expect(cause).toMatchObject({ code: "url_not_allowed", message: expect.stringMatching(/rebind\.example \(127\.0\.0\.1\).*loopback/) });
    expect(lookups).toBe(2);
    expect(seen).toEqual([]);
  });

  it("connects to private addresses when the operator allows them", async () => {
    seen.length = 0;
    const client = createOutboundClient({ ...POLICY, allowPrivate: true });
    const res = await client.fetch(`http://127.0.0.1:${port}/ok`);
    expect(await res.text()).toBe("internal answer");
    expect(seen).toEqual(["GET /ok "]);
  });
});
