// Which URLs the server may call on a user's behalf (a project's GitHub API, later webhooks): https, or http
// to hosts the operator lists; never, unless the operator allows it, an address of this machine, its network
// or its cloud's metadata service, judged on the addresses a name resolves to, not on the name.
import dns from "node:dns";
import ipaddr from "ipaddr.js";
import { ShipyardError } from "../domain/errors.ts";

/** The operator's rules for URLs that users give the server (see the README, "Outbound URLs"). */
export interface UrlPolicy {
  /** SHIPYARD_ALLOW_PRIVATE_URLS: loopback, private, link-local and metadata addresses may be called. */
  allowPrivate: boolean;
  /** SHIPYARD_ALLOWED_HTTP_HOSTS: hosts (`host` or `host:port`, lower case) that may be called over plain http. */
  allowedHttpHosts: readonly string[];
  /** SHIPYARD_ALLOW_LOCAL_REPOS: projects may name a local path or a file:// repository. */
  allowLocalRepos: boolean;
}

/** Resolve a host name to every address it has (dns.lookup, so /etc/hosts counts as it does for connections). */
export type Resolve = (hostname: string, options?: dns.LookupOptions) => Promise<dns.LookupAddress[]>;

/** The system resolver. */
export const systemResolve: Resolve = (hostname, options = {}) => dns.promises.lookup(hostname, { ...options, all: true });

// Names of cloud metadata services: refused by name too, as they may resolve through a local resolver.
const METADATA_HOSTS = new Set(["metadata.google.internal", "metadata.goog", "metadata", "instance-data", "instance-data.ec2.internal"]);

const RANGE_NAMES: Record<string, string> = {
  loopback: "a loopback address",
  private: "a private (RFC 1918) address",
  carrierGradeNat: "a carrier-grade NAT (100.64.0.0/10) address",
  linkLocal: "a link-local address (this includes the cloud metadata service 169.254.169.254)",
  uniqueLocal: "a unique-local IPv6 address (fc00::/7)",
  unspecified: "an unspecified address (0.0.0.0, ::)",
  broadcast: "a broadcast address",
  multicast: "a multicast address",
};

// IPv4-compatible IPv6 (::a.b.c.d, deprecated) is classed as unicast by ipaddr.js, yet embeds any IPv4 address.
const IPV4_COMPATIBLE = ipaddr.parseCIDR("::/96");

/** Why the server must not connect to `address` (an IPv4 or IPv6 literal), or null for a public unicast one. */
export function addressProblem(address: string): string | null {
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  if (!ipaddr.isValid(bare)) return "not an IP address";
  // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as the IPv4 address it reaches.
  const ip = ipaddr.process(bare);
  const range = ip.range();
  if (range !== "unicast") return RANGE_NAMES[range] ?? `a special-purpose address (${range})`;
  return ip.kind() === "ipv6" && ip.match(IPV4_COMPATIBLE) ? "an IPv4-compatible IPv6 address (::/96)" : null;
}

/** A host name as compared: lower case, no trailing dot, no IPv6 brackets. */
export function normalHost(hostname: string): string {
  const h = hostname.toLowerCase().replace(/\.$/, "");
  return h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h;
}

const HOW_TO_ALLOW_PRIVATE = "the server calls only public addresses unless the operator sets SHIPYARD_ALLOW_PRIVATE_URLS=true";

/** Why `host` (a name or literal) must not be connected to, given the addresses it resolves to; null when it may. */
export async function hostProblem(hostname: string, resolve: Resolve = systemResolve): Promise<string | null> {
  const host = normalHost(hostname);
  if (METADATA_HOSTS.has(host)) return `${host} is a cloud metadata service; ${HOW_TO_ALLOW_PRIVATE}`;
  if (ipaddr.isValid(host)) {
    const problem = addressProblem(host);
    return problem ? `${host} is ${problem}; ${HOW_TO_ALLOW_PRIVATE}` : null;
  }
  let addresses: dns.LookupAddress[];
  try {
    addresses = await resolve(host);
  } catch (err) {
    return `${host} could not be resolved (${(err as NodeJS.ErrnoException).code ?? "lookup failed"})`;
  }
  if (addresses.length === 0) return `${host} could not be resolved (no address)`;
  for (const a of addresses) {
    const problem = addressProblem(a.address);
    if (problem) return `${host} resolves to ${a.address}, ${problem}; ${HOW_TO_ALLOW_PRIVATE}`;
  }
  return null;
}

/** Why a URL may not be called at all (scheme, embedded credentials, plain http), before any lookup; null if it may. */
export function urlFormProblem(url: URL, policy: Pick<UrlPolicy, "allowedHttpHosts">): string | null {
  if (url.username || url.password) return "it carries credentials; give them as the project's credentials instead";
  if (url.protocol === "https:") return null;
  if (url.protocol === "http:") {
    const host = normalHost(url.hostname);
    const port = url.port ? `${host}:${url.port}` : host;
    if (policy.allowedHttpHosts.includes(host) || policy.allowedHttpHosts.includes(port)) return null;
    return `plain http is allowed only to hosts the operator lists in SHIPYARD_ALLOWED_HTTP_HOSTS (${host} is not one); use https`;
  }
  return `the scheme ${url.protocol.replace(/:$/, "")} is not allowed; use https`;
}

/**
 * Throw a 422 `url_not_allowed` saying why, unless the server may call `raw` for a user: a well-formed https
 * URL (or http to an allowed host) whose host resolves only to public addresses (any, with allowPrivate).
 * `what` names the field in the message (e.g. `github.apiUrl`).
 */
export async function assertOutboundUrl(raw: string, policy: UrlPolicy, what: string, resolve: Resolve = systemResolve): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ShipyardError("url_not_allowed", `${what} is not a URL`, 422);
  }
  // Only the origin is repeated back: whatever else the URL carries stays out of messages and logs.
  const problem = urlFormProblem(url, policy) ?? (policy.allowPrivate ? null : await hostProblem(url.hostname, resolve));
  if (problem) throw new ShipyardError("url_not_allowed", `${what} ${url.protocol}//${url.host} is not allowed: ${problem}`, 422);
  return url;
}
