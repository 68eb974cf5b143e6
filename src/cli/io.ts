import { ApiClient, findServer } from "./client.ts";

/** Print one line to stdout. */
export const out = (s: string): void => void process.stdout.write(s + "\n");
/** Print a value as indented JSON. */
export const printJson = (v: unknown): void => out(JSON.stringify(v, null, 2));
/** An API client for the configured server. */
export async function client(): Promise<ApiClient> {
  const s = await findServer();
  return new ApiClient(s.url, s.token);
}
