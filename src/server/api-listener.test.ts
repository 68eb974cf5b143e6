// The API's one port: HTTP/1.1 and HTTP/2 cleartext side by side, and a shutdown (closeHttp) that no gRPC
// session and no connection that never spoke can hold open.
import http2 from "node:http2";
import net, { type AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { listenApi } from "./api-listener.ts";
import { closeHttp } from "./process-files.ts";

const handler = (req: { httpVersion: string }, res: { end(s: string): void }) => res.end(`HTTP/${req.httpVersion}`);

describe("listenApi", () => {
  it("serves HTTP/1.1 and HTTP/2 with prior knowledge on one port, and closes with an HTTP/2 session and a silent socket still open", async () => {
    const server = await listenApi({ handler: handler as never, port: 0, hostname: "127.0.0.1" });
    const { port } = server.address() as AddressInfo;
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("HTTP/1.1");
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => undefined);
    const body = await new Promise<string>((resolve) => {
      let text = "";
      const stream = session.request({ ":path": "/" });
      stream.on("data", (d: Buffer) => (text += d.toString()));
      stream.on("end", () => resolve(text));
    });
    expect(body).toBe("HTTP/2.0");
    const silent = net.connect(port, "127.0.0.1");
    silent.on("error", () => undefined);
    await new Promise((r) => silent.once("connect", r));
    await closeHttp(server);
    expect(server.listening).toBe(false);
    session.destroy();
    silent.destroy();
  });
});
