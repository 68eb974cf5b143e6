// Model prices in USD per million tokens. The defaults are list prices for common models; deployments
// override or extend them with SHIPYARD_LLM_PRICES (JSON of the same shape) without a code change.
import { z } from "zod";

/** USD per million tokens; `cachedInput` is the price of a cache read (defaults to `input`). */
export interface ModelPrice {
  input: number;
  output: number;
  cachedInput?: number;
}

/** Prices by model id, or by `provider:model` for a price that holds for one provider only. */
export type PriceTable = Record<string, ModelPrice>;

/** List prices of common models. */
export const DEFAULT_PRICES: PriceTable = {
  "claude-opus-4-5": { input: 5, output: 25, cachedInput: 0.5 },
  "claude-opus-4-1": { input: 15, output: 75, cachedInput: 1.5 },
  "claude-opus-4": { input: 15, output: 75, cachedInput: 1.5 },
  "claude-sonnet-4-5": { input: 3, output: 15, cachedInput: 0.3 },
  "claude-sonnet-4": { input: 3, output: 15, cachedInput: 0.3 },
  "claude-haiku-4-5": { input: 1, output: 5, cachedInput: 0.1 },
  "gpt-4.1": { input: 2, output: 8, cachedInput: 0.5 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6, cachedInput: 0.1 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4, cachedInput: 0.025 },
  "gpt-4o": { input: 2.5, output: 10, cachedInput: 1.25 },
  "gpt-4o-mini": { input: 0.15, output: 0.6, cachedInput: 0.075 },
  o3: { input: 2, output: 8, cachedInput: 0.5 },
  "o4-mini": { input: 1.1, output: 4.4, cachedInput: 0.275 },
};

// Local models and replayed cassettes cost nothing, so they are priced (at 0) rather than flagged unknown.
const FREE_PROVIDERS = new Set(["ollama", "replay"]);

const PriceSchema = z.record(
  z.string(),
  z.object({ input: z.number().min(0), output: z.number().min(0), cachedInput: z.number().min(0).optional() }),
);

/** The default prices overlaid with SHIPYARD_LLM_PRICES, with a readable error for a bad value. */
export function loadPrices(env: NodeJS.ProcessEnv = process.env): PriceTable {
  const raw = env.SHIPYARD_LLM_PRICES;
  if (!raw) return { ...DEFAULT_PRICES };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error("SHIPYARD_LLM_PRICES is not JSON: expected {\"model\": {\"input\": 1, \"output\": 2}}");
  }
  const parsed = PriceSchema.safeParse(json);
  if (!parsed.success) throw new Error(`SHIPYARD_LLM_PRICES: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return { ...DEFAULT_PRICES, ...parsed.data };
}

/** The price of `model` at `provider`, or null when the table does not know it. */
export function priceOf(prices: PriceTable, provider: string, model: string): ModelPrice | null {
  if (FREE_PROVIDERS.has(provider)) return { input: 0, output: 0 };
  // Dated snapshots (claude-sonnet-4-5-20250929, gpt-4.1-2025-04-14) cost what their family costs.
  const bare = model.replace(/-(\d{8}|\d{4}-\d{2}-\d{2})$/, "");
  for (const key of [`${provider}:${model}`, model, `${provider}:${bare}`, bare]) {
    const price = prices[key];
    if (price) return price;
  }
  return null;
}

/** Token counts of one call; `input` includes `cached`. */
export interface TokenCounts {
  input: number;
  output: number;
  cached: number;
}

/** The cost in USD of `tokens` at `price` (0 when unknown), and whether the price was known. */
export function costOf(price: ModelPrice | null, tokens: TokenCounts): { costUsd: number; priced: boolean } {
  if (!price) return { costUsd: 0, priced: false };
  const cached = Math.min(tokens.cached, tokens.input);
  const usd =
    ((tokens.input - cached) * price.input + cached * (price.cachedInput ?? price.input) + tokens.output * price.output) / 1_000_000;
  // Rounded to the column's precision so what is returned equals what is stored.
  return { costUsd: Math.round(usd * 1e9) / 1e9, priced: true };
}
