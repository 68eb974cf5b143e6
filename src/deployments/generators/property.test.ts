// Property: whatever description the config schema accepts, every generator renders files that pass its own
// check, and the env values come back exactly from what was written.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { GENERATOR_NAMES, GENERATORS } from "./index.ts";

const NO_TOOLS = { toolPath: "/nonexistent" };
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const label = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);
const image = fc
  .tuple(fc.constantFrom("", "ghcr.io/", "localhost:5000/", "registry.example.com/team/"), label, fc.constantFrom("", ":1.0.0", ":latest", "@sha256:" + "c".repeat(64)))
  .map(([registry, repo, ref]) => `${registry}${repo}${ref}`);
const envName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,12}$/);
const urlPath = fc.stringMatching(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]{0,16}$/);

const description = fc
  .record({
    name: opt(label),
    source: fc.oneof(
      fc.record({ image }),
      fc.record({ build: fc.record({ context: fc.constantFrom(".", "app", "services/api"), dockerfile: fc.constantFrom("Dockerfile", "docker/Dockerfile"), image: opt(image) }) }),
    ),
    ports: fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { maxLength: 3 }),
    env: fc.dictionary(envName, fc.string({ unit: "binary", maxLength: 24 }), { maxKeys: 4 }),
    secrets: fc.uniqueArray(envName.map((n) => `SECRET_${n}`), { maxLength: 2 }),
    replicas: fc.integer({ min: 1, max: 5 }),
    autoscaling: opt(fc.record({ min: fc.integer({ min: 1, max: 3 }), max: fc.integer({ min: 3, max: 20 }), cpuTarget: fc.integer({ min: 1, max: 100 }) })),
    cpu: opt(fc.constantFrom("100m", "0.5", "2", "1500m")),
    memory: opt(fc.constantFrom("64Mi", "1Gi", "512Ki")),
    healthCheck: opt(fc.record({ path: fc.oneof(urlPath, urlPath.map((p) => `${p}?q=1`)) })),
    volumes: fc.uniqueArray(fc.record({ name: label, mountPath: fc.stringMatching(/^\/[a-z0-9 ü_-]{1,12}$/) }), { maxLength: 2, selector: (v) => v.name }),
    ingress: opt(fc.record({ host: fc.tuple(label, label).map(([a, b]) => `${a}.${b}.example`), path: urlPath, tls: fc.boolean() })),
  })
  .map(({ source, ...rest }) => ({ ...rest, ...source }));

describe("any valid description", () => {
  it("renders, for every generator, files its check passes, with env values intact", async () => {
    await fc.assert(
      fc.asyncProperty(description, async (raw) => {
        const parsed = GENERATORS.kubernetes.config.safeParse(raw);
        fc.pre(parsed.success);
        for (const generator of GENERATOR_NAMES) {
          const config = GENERATORS[generator].config.parse(raw);
          const files = GENERATORS[generator].render(config);
          expect(await GENERATORS[generator].validate(files, NO_TOOLS), generator).toEqual([]);
        }
        const name = GENERATORS.helm.render(GENERATORS.helm.config.parse(raw)).find((f) => f.path.endsWith("/values.yaml"))!;
        expect((parseYaml(name.content, { version: "1.1" }) as { env: Record<string, string> }).env).toEqual(raw.env);
        const compose = GENERATORS["docker-compose"].render(GENERATORS["docker-compose"].config.parse(raw))[0]!;
        const services = (parseYaml(compose.content) as { services: Record<string, { environment?: Record<string, string> }> }).services;
        const environment = Object.values(services)[0]!.environment ?? {};
        for (const [k, v] of Object.entries(raw.env)) expect(environment[k]!.replaceAll("$$", () => "$")).toBe(v);
      }),
      { numRuns: 40 },
    );
  });
});
