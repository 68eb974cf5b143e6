// Serve the design-from-reference page (REFERENCE_PAGE of src/blueprints/demo.ts) on loopback as /pricing.html,
// the page cassettes/architect-design-from-reference.json was recorded on, so examples/trees/design-from-reference.yaml
// replays offline:  npx tsx scripts/serve-reference-page.ts [port]   (default 4455)
import http from "node:http";
import { REFERENCE_PAGE } from "../src/blueprints/demo.ts";

const port = Number(process.argv[2] ?? 4455);
http
  .createServer((req, res) => (req.url === "/pricing.html" ? res.writeHead(200, { "content-type": "text/html" }).end(REFERENCE_PAGE) : res.writeHead(404).end()))
  .listen(port, "127.0.0.1", () => console.log(`the reference page is at http://127.0.0.1:${port}/pricing.html`));
