// The HTTP client for URLs users give the server. The URL is checked before the call, and every connection is
// checked again as it is made: a name that resolved to a public address at the check can resolve to
// 127.0.0.1 a moment later (DNS rebinding), and a redirect can point anywhere.
import net from "node:net";
import { Agent, buildConnector, fetch as undiciFetch } from "undici";
import { ShipyardError } from "../domain/errors.ts";
import { addressProblem, assertOutboundUrl, normalHost, systemResolve, type Resolve, type UrlPolicy } from "./url-policy.ts";

/** Calls to user-given URLs under the operator's policy. */
export interface OutboundClient {
  readonly policy: UrlPolicy;
  /** Throw 422 `url_not_allowed` (saying why and how to allow it) unless `url` may be called; `what` names it. */
  check(url: string, what: string): Promise<URL>;
  /** fetch whose connections refuse the addresses the policy refuses (also for redirects and re-resolved names). */
  fetch: typeof fetch;
}

function refused(host: string, address: string, problem: string): ShipyardError {
  const shown = host === address ? host : `${host} (${address})`;
  return new ShipyardError("url_not_allowed", `refused to connect to ${shown}: ${problem}; set SHIPYARD_ALLOW_PRIVATE_URLS=true to allow it`, 422);
}

/** A `lookup` for net/tls.connect that fails instead of answering with an address the policy refuses. */
function refusingLookup(resolve: Resolve): net.LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, options).then(
      (addresses) => {
        for (const a of addresses) {
          const problem = addressProblem(a.address);
          if (problem) return callback(refused(hostname, a.address, problem), "");
        }
        const first = addresses[0];
        if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "");
        if (options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ""),
    );
  };
}

/** An undici dispatcher whose every new connection goes only to addresses the policy allows. */
function guardedAgent(resolve: Resolve): Agent {
  const connector = buildConnector({ lookup: refusingLookup(resolve) });
  return new Agent({
    connect: (options, callback) => {
      // net.connect skips `lookup` for an IP literal: judge those here.
      const host = normalHost(options.hostname);
      const problem = net.isIP(host) ? addressProblem(host) : null;
      if (problem) return callback(refused(host, host, problem), null);
      connector(options, callback);
    },
  });
}

/** The client for a policy; `resolve` is the system resolver except in tests. */
export function createOutboundClient(policy: UrlPolicy, resolve: Resolve = systemResolve): OutboundClient {
  const dispatcher = policy.allowPrivate ? undefined : guardedAgent(resolve);
  // undici's own fetch with its own Agent (Node's built-in fetch is an older undici that need not accept a
  // newer Agent). Its types are undici's; they describe the same WHATWG fetch that Octokit and callers expect.
  const guardedFetch = ((input: string | URL, init?: RequestInit) =>
    undiciFetch(input, { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher })) as unknown as typeof fetch;
  return {
    policy,
    check: (url, what) => assertOutboundUrl(url, policy, what, resolve),
    fetch: guardedFetch,
  };
}
