import { describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import { addressProblem, assertOutboundUrl, hostProblem, type Resolve, type UrlPolicy } from "./url-policy.ts";

const DEFAULT: UrlPolicy = { allowPrivate: false, allowedHttpHosts: [], allowLocalRepos: true };

/** A resolver from a table (no DNS traffic); an unknown name fails like getaddrinfo does. */
const table =
  (names: Record<string, string[]>): Resolve =>
  async (host) => {
    const addresses = names[host];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };

const noLookup: Resolve = async (host) => {
  throw new Error(`${host} must be refused without a lookup`);
};

describe("addressProblem", () => {
  it.each([
    ["127.0.0.1", /loopback/],
    ["127.255.255.254", /loopback/],
    ["10.0.0.1", /private/],
    ["172.16.5.4", /private/],
    ["172.31.255.255", /private/],
    ["192.168.0.1", /private/],
    ["100.64.0.1", /carrier-grade NAT/],
    ["100.127.255.254", /carrier-grade NAT/],
    ["169.254.169.254", /link-local.*metadata/],
    ["169.254.0.1", /link-local/],
    ["0.0.0.0", /unspecified/],
    ["0.1.2.3", /unspecified/],
    ["255.255.255.255", /broadcast/],
    ["224.0.0.1", /multicast/],
    ["::1", /loopback/],
    ["[::1]", /loopback/],
    ["::", /unspecified/],
    ["fe80::1", /link-local/],
    ["febf::1", /link-local/],
    ["fc00::1", /unique-local/],
    ["fd00:ec2::254", /unique-local/],
    ["::ffff:127.0.0.1", /loopback/],
    ["::ffff:7f00:1", /loopback/],
    ["::ffff:10.0.0.1", /private/],
    ["::ffff:169.254.169.254", /link-local/],
    ["::ffff:192.168.1.1", /private/],
    ["::ffff:100.64.0.1", /carrier-grade NAT/],
    ["::ffff:0.0.0.0", /unspecified/],
    ["::7f00:1", /IPv4-compatible/],
    ["64:ff9b::7f00:1", /special-purpose/],
    ["2002:7f00:1::", /special-purpose/],
  ])("refuses %s", (address, why) => {
    expect(addressProblem(address)).toMatch(why);
  });

  it.each(["8.8.8.8", "1.1.1.1", "140.82.112.3", "172.32.0.1", "172.15.255.255", "100.128.0.1", "11.0.0.1", "2606:4700:4700::1111", "2a00:1450:4001::1", "::ffff:8.8.8.8"])(
    "allows the public address %s",
    (address) => {
      expect(addressProblem(address)).toBeNull();
    },
  );
});

describe("hostProblem", () => {
  it("judges a name by every address it resolves to", async () => {
    const dns = table({ "ghe.example": ["93.184.216.34"], "sneaky.example": ["93.184.216.34", "10.0.0.7"], "lo.example": ["::1"] });
    expect(await hostProblem("ghe.example", dns)).toBeNull();
    expect(await hostProblem("sneaky.example", dns)).toMatch(/resolves to 10\.0\.0\.7, a private .*SHIPYARD_ALLOW_PRIVATE_URLS=true/);
    expect(await hostProblem("LO.example.", dns)).toMatch(/resolves to ::1, a loopback/);
    expect(await hostProblem("nowhere.example", dns)).toMatch(/could not be resolved \(ENOTFOUND\)/);
  });

  it("refuses localhost after a real lookup (it resolves to loopback)", async () => {
    expect(await hostProblem("localhost")).toMatch(/^localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
  });

  it("refuses metadata service names and private literals without a lookup", async () => {
    for (const host of ["metadata.google.internal", "METADATA.google.internal.", "metadata.goog"]) {
      expect(await hostProblem(host, noLookup)).toMatch(/cloud metadata service/);
    }
    expect(await hostProblem("169.254.169.254", noLookup)).toMatch(/link-local/);
    expect(await hostProblem("[::ffff:127.0.0.1]", noLookup)).toMatch(/loopback/);
  });
});

describe("assertOutboundUrl", () => {
  const dns = table({ "ghe.example": ["93.184.216.34"], localhost: ["127.0.0.1"] });
  const refused = async (url: string, policy: UrlPolicy = DEFAULT) => {
    const err = await assertOutboundUrl(url, policy, "github.apiUrl", dns).then(
      () => null,
      (e: { code: string; status: number; message: string }) => e,
    );
    expect(err, url).not.toBeNull();
    expect(err).toMatchObject({ code: "url_not_allowed", status: 422 });
    return err!.message;
  };

  it("accepts https to a host with public addresses", async () => {
    expect((await assertOutboundUrl("https://ghe.example/api/v3", DEFAULT, "github.apiUrl", dns)).host).toBe("ghe.example");
  });

  it("refuses plain http unless the host is listed, then judges its addresses", async () => {
    expect(await refused("http://ghe.example/api")).toMatch(/plain http is allowed only to hosts .* SHIPYARD_ALLOWED_HTTP_HOSTS/);
    await expect(assertOutboundUrl("http://ghe.example/api", { ...DEFAULT, allowedHttpHosts: ["ghe.example"] }, "x", dns)).resolves.toBeInstanceOf(URL);
    await expect(assertOutboundUrl("http://ghe.example:81/", { ...DEFAULT, allowedHttpHosts: ["ghe.example:81"] }, "x", dns)).resolves.toBeInstanceOf(URL);
    expect(await refused("http://ghe.example:82/", { ...DEFAULT, allowedHttpHosts: ["ghe.example:81"] })).toMatch(/plain http/);
    expect(await refused("http://127.0.0.1:8080/", { ...DEFAULT, allowedHttpHosts: ["127.0.0.1"] })).toMatch(
      /^github\.apiUrl http:\/\/127\.0\.0\.1:8080 is not allowed: 127\.0\.0\.1 is a loopback address; .*SHIPYARD_ALLOW_PRIVATE_URLS=true/,
    );
  });

  it.each([
    ["https://127.0.0.1:9/", /loopback/],
    ["https://localhost/", /resolves to 127\.0\.0\.1/],
    ["https://0x7f.1/", /127\.0\.0\.1 is a loopback/],
    ["https://2130706433/", /127\.0\.0\.1 is a loopback/],
    ["https://[::ffff:127.0.0.1]/", /loopback/],
    ["https://[fd00:ec2::254]/", /unique-local/],
    ["https://169.254.169.254/latest/meta-data/", /link-local/],
    ["https://metadata.google.internal/computeMetadata/v1/", /metadata service/],
    ["https://10.1.2.3/", /private/],
    ["ftp://ghe.example/", /scheme ftp is not allowed/],
    ["file:///etc/passwd", /scheme file is not allowed/],
    ["not a url", /is not a URL/],
  ])("refuses %s", async (url, why) => {
    expect(await refused(url)).toMatch(why);
  });

  it("refuses credentials in the URL without repeating them", async () => {
    const message = await refused("https://x-access-token:ghp_s3cret@ghe.example/api");
    expect(message).toMatch(/carries credentials/);
    expect(message).not.toContain("ghp_s3cret");
  });

  it("lets private addresses through only with allowPrivate (plain http still needs the host listed)", async () => {
    const open: UrlPolicy = { ...DEFAULT, allowPrivate: true };
    for (const url of ["https://127.0.0.1:9/", "https://localhost/", "https://169.254.169.254/"]) {
      await expect(assertOutboundUrl(url, open, "x", dns)).resolves.toBeInstanceOf(URL);
    }
    expect(await refused("http://127.0.0.1:9/", open)).toMatch(/plain http/);
  });
});

describe("the URL policy's configuration", () => {
  it("defaults to refusing private addresses, no plain http hosts, local repositories allowed", () => {
    expect(loadConfig({}).urls).toEqual({ allowPrivate: false, allowedHttpHosts: [], allowLocalRepos: true });
    expect(loadConfig({}).githubApiUrl).toBe("https://api.github.com");
  });

  it("parses the hosts list once, and refuses a malformed one at start", () => {
    const c = loadConfig({ SHIPYARD_ALLOWED_HTTP_HOSTS: " GHE.example , 127.0.0.1:8080,[::1]", SHIPYARD_ALLOW_PRIVATE_URLS: "true", SHIPYARD_ALLOW_LOCAL_REPOS: "false" });
    expect(c.urls).toEqual({ allowPrivate: true, allowedHttpHosts: ["ghe.example", "127.0.0.1:8080", "[::1]"], allowLocalRepos: false });
    expect(() => loadConfig({ SHIPYARD_ALLOWED_HTTP_HOSTS: "http://ghe.example/" })).toThrow(/SHIPYARD_ALLOWED_HTTP_HOSTS/);
    expect(() => loadConfig({ SHIPYARD_ALLOW_PRIVATE_URLS: "yes" })).toThrow(/SHIPYARD_ALLOW_PRIVATE_URLS/);
  });
});
