// Reading a config: the app description's rules, strict keys named by their path, detection's defaults under
// the user's config, and one error (invalid_request, 400) that names each field and reason.
import { describe, expect, it } from "vitest";
import { ShipyardError } from "../../domain/errors.ts";
import { appName } from "./app.ts";
import { AppDescription, GENERATOR_NAMES, generatorSummaries, mergeDetected, parseConfig, type ConfigIssue, type GeneratorName } from "./index.ts";

const EXAMPLE = { image: "ghcr.io/acme/app:1.0.0", ports: [3000], replicas: 2, env: { LOG_LEVEL: "info" }, ingress: { host: "app.example.com" } };

/** The issues parseConfig refuses `config` with (fails the test when it is accepted). */
function refused(config: unknown, generator: GeneratorName = "docker-compose", detected?: Record<string, unknown>): ConfigIssue[] {
  try {
    parseConfig(generator, config, detected);
  } catch (err) {
    expect(err).toBeInstanceOf(ShipyardError);
    const e = err as ShipyardError;
    expect([e.code, e.status]).toEqual(["invalid_request", 400]);
    const issues = (e.details as { issues: ConfigIssue[] }).issues;
    for (const i of issues) expect(e.message).toContain(`config${i.path ? `.${i.path}` : ""}: ${i.message}`);
    return issues;
  }
  throw new Error(`accepted: ${JSON.stringify(config)}`);
}

describe("parseConfig", () => {
  it.each(GENERATOR_NAMES)("%s takes the issue's example, filling defaults", (generator) => {
    const config = parseConfig(generator, EXAMPLE);
    expect(config).toMatchObject({ ...EXAMPLE, secrets: [], volumes: [], ingress: { host: "app.example.com", path: "/", tls: false } });
    expect(appName(config as AppDescription)).toBe("app");
  });

  it.each(GENERATOR_NAMES)("%s refuses unknown keys, naming each by its path", (generator) => {
    const issues = refused({ ...EXAMPLE, replica: 3, ingress: { host: "app.example.com", hots: "x" }, build: undefined }, generator);
    expect(issues).toEqual(expect.arrayContaining([{ path: "replica", message: "unknown key" }, { path: "ingress.hots", message: "unknown key" }]));
    expect(refused({ ...EXAMPLE, volumes: [{ name: "data", mountPath: "/data", sise: "1Gi" }] }, generator)).toEqual([{ path: "volumes.0.sise", message: "unknown key" }]);
  });

  it("refuses image and build together, and neither", () => {
    expect(refused({ image: "nginx:1.27", build: {} })).toEqual([{ path: "build", message: "give exactly one of image and build" }]);
    expect(refused({ ports: [80] })).toEqual([{ path: "", message: "give exactly one of image and build" }]);
  });

  it("refuses another generator's options", () => {
    expect(refused({ ...EXAMPLE, chartName: "web" }, "kubernetes")).toEqual([{ path: "chartName", message: "unknown key" }]);
    expect(parseConfig("helm", { ...EXAMPLE, chartName: "web" })).toMatchObject({ chartName: "web", chartVersion: "0.1.0" });
    expect(refused({ ...EXAMPLE, provider: "aws" }, "terraform")[0]!.path).toBe("provider");
  });

  it("names the field and the reason of a bad value", () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ...EXAMPLE, image: "Not An Image" }, "image", /image reference/],
      [{ ...EXAMPLE, ports: [3000, 3000] }, "ports", /listed twice/],
      [{ ...EXAMPLE, ports: [70000] }, "ports.0", /65535/],
      [{ ...EXAMPLE, env: { "1BAD": "x" } }, "env.1BAD", /letters, digits/],
      [{ ...EXAMPLE, env: JSON.parse('{"__proto__": "x"}') as Record<string, string> }, "env.__proto__", /cannot be/],
      [{ ...EXAMPLE, secrets: ["LOG_LEVEL"] }, "secrets", /also a plain env variable/],
      [{ ...EXAMPLE, autoscaling: { min: 5, max: 2 }, cpu: "1" }, "autoscaling.min", /not be more than max/],
      [{ ...EXAMPLE, autoscaling: { max: 4 } }, "cpu", /needed with autoscaling/],
      [{ ...EXAMPLE, cpu: "lots" }, "cpu", /cores/],
      [{ ...EXAMPLE, memory: "1GB" }, "memory", /Ki, Mi or Gi/],
      [{ ...EXAMPLE, ports: [] }, "ingress", /needs a port/],
      [{ ...EXAMPLE, ingress: { host: "Not a host" } }, "ingress.host", /DNS name/],
      [{ ...EXAMPLE, ingress: { host: "a.example.com", path: "/x?y" } }, "ingress.path", /without '\?'/],
      [{ ...EXAMPLE, name: "Shop_1" }, "name", /lower-case/],
      [{ ...EXAMPLE, volumes: [{ name: "data", mountPath: "relative" }] }, "volumes.0.mountPath", /absolute/],
      [{ image: "nginx:1", healthCheck: { path: "/" } }, "healthCheck.port", /ports is empty/],
      [{ build: { context: "../outside" } }, "build.context", /inside the repository/],
    ];
    for (const [config, path, reason] of cases) {
      const issues = refused(config);
      expect(issues.map((i) => i.path), JSON.stringify(config)).toContain(path);
      expect(issues.find((i) => i.path === path)!.message).toMatch(reason);
    }
  });

  it("refuses what is not an object, and an unknown generator", () => {
    expect(refused("image: nginx")).toEqual([{ path: "", message: "must be an object" }]);
    for (const name of ["ansible", "toString", "__proto__"]) expect(() => parseConfig(name as GeneratorName, EXAMPLE)).toThrow(`no generator "${name}"`);
  });
});

it("generatorSummaries lists every generator with its description and config schema", () => {
  const summaries = generatorSummaries();
  expect(summaries.map((g) => g.name)).toEqual([...GENERATOR_NAMES]);
  for (const g of summaries) expect(g.configJsonSchema).toMatchObject({ type: "object", additionalProperties: false });
  expect((summaries.find((g) => g.name === "terraform")!.configJsonSchema as { properties: Record<string, unknown> }).properties.provider).toMatchObject({ enum: ["kubernetes", "docker"] });
});

describe("detected defaults", () => {
  const detected = { name: "shop", build: { context: ".", dockerfile: "Dockerfile" }, ports: [8080], env: { NODE_ENV: "production" } };

  it("fill what the user leaves out", () => {
    expect(parseConfig("kubernetes", {}, detected)).toMatchObject({ name: "shop", build: { context: ".", dockerfile: "Dockerfile" }, ports: [8080], env: { NODE_ENV: "production" } });
  });

  it("give way to the user's keys: an image replaces the detected build, env maps merge with the user's values winning", () => {
    const config = parseConfig("kubernetes", { image: "nginx:1.27", ports: [80], env: { NODE_ENV: "development", X: "1" } }, detected);
    expect(config).toMatchObject({ name: "shop", image: "nginx:1.27", ports: [80], env: { NODE_ENV: "development", X: "1" } });
    expect(config.build).toBeUndefined();
    expect(mergeDetected({ build: { context: "app" } }, { image: "nginx:1" })).toEqual({ build: { context: "app" } });
  });

  it("do not excuse an unknown key of the user's", () => {
    expect(refused({ replicaz: 2 }, "helm", detected)).toEqual([{ path: "replicaz", message: "unknown key" }]);
  });
});

describe("appName", () => {
  it("is the name given, else the image's last path segment made a name, else app", () => {
    expect(appName({ name: "web", image: "ghcr.io/acme/app:1" })).toBe("web");
    expect(appName({ image: "ghcr.io/acme/my_service.v2:1" })).toBe("my-service-v2");
    expect(appName({ build: { context: ".", dockerfile: "Dockerfile", image: "registry.example.com/team/api@sha256:" + "b".repeat(64) } })).toBe("api");
    expect(appName({ image: "localhost:5000/123:1" })).toBe("app");
    expect(appName({ build: { context: ".", dockerfile: "Dockerfile" } })).toBe("app");
  });
});
