// Preview host names. Every project, environment and version is its own origin, so one preview's scripts can
// never read another's storage, nor anything of the API's origin: `<label>.<base>:<port>` shows staging,
// `<label>--production.<base>` production and `<label>--v<N>.<base>` version N, where the label is the project
// id with its `_` turned into `-` (an underscore is not allowed in a DNS name nor in a certificate).
import type { Environment } from "./store.ts";

/** Where the preview host is reached: `*.localhost` by default (Chromium resolves it to loopback itself). */
export interface PreviewOrigin {
  baseDomain: string;
  port: number;
  protocol?: "http" | "https";
}

/** What a preview host name shows. */
export type PreviewSelector = { projectId: string; environment: Environment } | { projectId: string; version: number };

/** Builds the URLs of previews (the integrator's builds and the API's views use it). */
export interface PreviewUrls {
  /** The stable URL of a project's environment. */
  environmentUrl(projectId: string, environment: Environment): string;
  /** The URL of one version. */
  versionUrl(projectId: string, version: number): string;
}

/** The host label of a project id (`prj_01ab` → `prj-01ab`). */
export function projectLabel(projectId: string): string {
  return projectId.replace("_", "-");
}

/** URLs on `origin`; the port is left out when it is the protocol's default. */
export function previewUrls(origin: PreviewOrigin): PreviewUrls {
  const protocol = origin.protocol ?? "http";
  const port = (protocol === "http" && origin.port === 80) || (protocol === "https" && origin.port === 443) ? "" : `:${origin.port}`;
  const url = (label: string) => `${protocol}://${label}.${origin.baseDomain}${port}/`;
  return {
    environmentUrl: (projectId, environment) => url(environment === "staging" ? projectLabel(projectId) : `${projectLabel(projectId)}--${environment}`),
    versionUrl: (projectId, version) => url(`${projectLabel(projectId)}--v${version}`),
  };
}

const LABEL = /^([a-z0-9]+)-([a-z0-9]+)(?:--(production|staging|v([1-9][0-9]{0,8})))?$/;

/** What a request's Host header asks for on `baseDomain`; null for any other host. */
export function parsePreviewHost(host: string | undefined, baseDomain: string): PreviewSelector | null {
  if (!host) return null;
  const name = host.toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
  const suffix = `.${baseDomain.toLowerCase()}`;
  if (!name.endsWith(suffix)) return null;
  const m = LABEL.exec(name.slice(0, -suffix.length));
  if (!m) return null;
  const projectId = `${m[1]}_${m[2]}`;
  if (m[4]) return { projectId, version: Number(m[4]) };
  return { projectId, environment: m[3] === "production" ? "production" : "staging" };
}

/**
 * The preview URLs of this installation as a process knows them: from configuration at first, then those of the
 * preview host once it listens (its port may have been chosen by the system). A worker, which serves no
 * previews, keeps the configured ones; workflow code (a build's publish) holds this and reads it at each use.
 */
export class PreviewUrlsRef implements PreviewUrls {
  constructor(private current: PreviewUrls) {}

  /** The preview host listens: use its URLs from now on. */
  set(urls: PreviewUrls): void {
    this.current = urls;
  }

  environmentUrl(projectId: string, environment: Environment): string {
    return this.current.environmentUrl(projectId, environment);
  }

  versionUrl(projectId: string, version: number): string {
    return this.current.versionUrl(projectId, version);
  }
}
