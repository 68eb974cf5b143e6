// Deployment generators: files generated per second by each generator (render only: pure, in process), and
// the time its offline check of those files takes (no binary: helm and terraform are not asked).
//   npx tsx bench/deploy-generators.ts
import { GENERATOR_NAMES, GENERATORS, parseConfig } from "../src/deployments/generators/index.ts";
import { main, median, report, round } from "./lib/common.ts";

const RENDER_MS = 1500;
const VALIDATE_SAMPLES = 15;

// A description that exercises every part of every generator.
const APP = {
  name: "shop",
  image: "ghcr.io/acme/shop:2.3.4",
  ports: [8080, 9090],
  env: { LOG_LEVEL: "info", FEATURES: "a,b", GREETING: "it's \"fine\": ünïcödé ${X}" },
  secrets: ["DATABASE_URL", "STRIPE_KEY"],
  replicas: 3,
  autoscaling: { min: 2, max: 10, cpuTarget: 70 },
  cpu: "250m",
  memory: "256Mi",
  healthCheck: { path: "/healthz" },
  volumes: [{ name: "uploads", mountPath: "/srv/uploads", size: "5Gi" }],
  ingress: { host: "shop.example.com", tls: true },
};

main("deploy-generators", async () => {
  const figures: Record<string, number> = {};
  const lines: string[] = [];
  for (const name of GENERATOR_NAMES) {
    const spec = GENERATORS[name];
    const config = parseConfig(name, APP);
    for (let i = 0; i < 50; i++) spec.render(config);
    let renders = 0;
    let files = 0;
    const started = performance.now();
    while (performance.now() - started < RENDER_MS) {
      files += spec.render(config).length;
      renders += 1;
    }
    const seconds = (performance.now() - started) / 1000;
    const rendered = spec.render(config);
    await spec.validate(rendered, { toolPath: "" });
    const validateMs: number[] = [];
    for (let i = 0; i < VALIDATE_SAMPLES; i++) {
      const t = performance.now();
      const problems = await spec.validate(rendered, { toolPath: "" });
      validateMs.push(performance.now() - t);
      if (problems.length > 0) throw new Error(`${name}: ${JSON.stringify(problems)}`);
    }
    const key = name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    figures[`${key}FilesPerSec`] = round(files / seconds, 0);
    figures[`${key}RendersPerSec`] = round(renders / seconds, 0);
    figures[`${key}ValidateMs`] = round(median(validateMs), 1);
    lines.push(`${name}: ${rendered.length} files a render; ${round(renders / seconds, 0)} renders/s = ${round(files / seconds, 0)} files/s; offline check of one render, median of ${VALIDATE_SAMPLES}: ${round(median(validateMs), 1)} ms`);
  }
  report("deploy-generators", lines, figures);
});
