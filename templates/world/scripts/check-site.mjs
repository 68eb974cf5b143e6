// Checks a site directory: every page's local links, stylesheets, scripts and images exist, and every script
// parses. Usage: node scripts/check-site.mjs <dir>
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(process.argv[2] ?? ".");
const files = (dir) => readdirSync(dir).flatMap((name) => (statSync(path.join(dir, name)).isDirectory() ? files(path.join(dir, name)) : [path.join(dir, name)]));
const all = files(root);
const pages = all.filter((f) => f.endsWith(".html"));
const failures = [];
if (!existsSync(path.join(root, "index.html"))) failures.push("there is no index.html");
for (const page of pages) {
  const html = readFileSync(page, "utf8");
  for (const [, ref] of html.matchAll(/\b(?:src|href)="([^"]+)"/g)) {
    if (/^(?:[a-z]+:|\/\/|#)/i.test(ref)) continue; // another site, a data: URL or an anchor
    const target = ref.startsWith("/") ? path.join(root, ref) : path.resolve(path.dirname(page), ref.split(/[?#]/)[0]);
    if (!existsSync(target)) failures.push(`${path.relative(root, page)} refers to ${ref}, which does not exist`);
  }
}
for (const script of all.filter((f) => f.endsWith(".js"))) {
  const checked = spawnSync(process.execPath, ["--check", script], { encoding: "utf8" });
  if (checked.status !== 0) failures.push(`${path.relative(root, script)} does not parse:\n${checked.stderr.trim()}`);
}
if (failures.length > 0) {
  for (const f of failures) console.error(`check-site: ${f}`);
  process.exit(1);
}
console.log(`check-site: ${pages.length} page(s), every reference found, every script parses`);
