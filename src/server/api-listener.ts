// The API's one port: HTTP/1.1 for the REST API, its WebSockets and Connect/gRPC-Web, and HTTP/2 cleartext for
// gRPC clients, which open with HTTP/2's preface (prior knowledge, no upgrade). Node's plain HTTP/2 server cannot
// take HTTP/1.1 too (allowHTTP1 is TLS-only), so each new connection's first bytes decide which server gets it.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import http2, { type Http2ServerRequest, type Http2ServerResponse, type ServerHttp2Session } from "node:http2";
import type { Socket } from "node:net";
import { Duplex, PassThrough } from "node:stream";

/** A request handler both servers take (connectNodeAdapter's, with the Hono app as its fallback). */
export type ApiHandler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => void;

// HTTP/2's preface starts "PRI * HTTP/2.0"; no HTTP/1.1 method is PRI.
const isHttp2 = (first: Buffer) => first.subarray(0, 4).toString("latin1") === "PRI ";

/**
 * Listen on `port`: an HTTP/1.1 server (returned, for upgrades and closeHttp) whose connections that open with the
 * HTTP/2 preface are handed to an HTTP/2 server with the same handler. Its closeIdleConnections and
 * closeAllConnections also end the HTTP/2 sessions and the connections that have sent nothing yet, so shutting
 * it down never waits on a gRPC client or a silent socket.
 */
export async function listenApi(o: { handler: ApiHandler; port: number; hostname: string }): Promise<http.Server> {
  const h1 = http.createServer(o.handler);
  const h2 = http2.createServer(o.handler);
  const sessions = new Set<ServerHttp2Session>();
  h2.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  const [own] = h1.listeners("connection") as ((socket: Socket) => void)[];
  h1.removeAllListeners("connection");
  // Connections that have sent nothing yet belong to neither server: closing idle connections ends them too.
  const undecided = new Set<Socket>();
  h1.on("connection", (socket: Socket) => {
    undecided.add(socket);
    socket.once("close", () => undecided.delete(socket));
    socket.once("data", (first: Buffer) => {
      undecided.delete(socket);
      socket.pause();
      if (isHttp2(first)) {
        // HTTP/2 reads a net socket's handle directly, past anything unshifted: it gets a stream that replays the first bytes.
        const readable = new PassThrough();
        readable.write(first);
        socket.pipe(readable);
        const stream = Duplex.from({ readable, writable: socket });
        socket.on("close", () => stream.destroy());
        socket.on("error", () => stream.destroy());
        h2.emit("connection", stream);
        socket.resume();
      } else {
        socket.unshift(first);
        own!.call(h1, socket);
        socket.resume();
      }
    });
  });
  const closeIdle = h1.closeIdleConnections.bind(h1);
  const closeAll = h1.closeAllConnections.bind(h1);
  h1.closeIdleConnections = () => {
    closeIdle();
    for (const s of sessions) s.close();
    for (const socket of undecided) socket.destroy();
  };
  h1.closeAllConnections = () => {
    closeAll();
    for (const s of sessions) s.destroy();
    for (const socket of undecided) socket.destroy();
  };
  await new Promise<void>((resolve) => h1.listen(o.port, o.hostname, resolve));
  return h1;
}
