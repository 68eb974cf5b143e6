// Errors of the model layer. They extend ShipyardError so the HTTP layer maps them to problem+json with a
// stable code; messages name what to fix (the variable, the secret, the file) and never a key's value.
import { ShipyardError } from "../../domain/errors.ts";

/** A model spec names a provider this layer does not know, or is malformed. */
export class UnknownProviderError extends ShipyardError {
  constructor(spec: string, detail: string) {
    super("llm_unknown_provider", `model ${JSON.stringify(spec)}: ${detail}`, 400, { spec });
    this.name = "UnknownProviderError";
  }
}

/** No API key for a provider: neither the environment variable nor the workspace secret is set. */
export class MissingApiKeyError extends ShipyardError {
  constructor(
    readonly provider: string,
    readonly variable: string,
    secretsChecked: boolean,
  ) {
    const where = secretsChecked
      ? `set the environment variable ${variable} or the workspace secret ${variable}`
      : `set the environment variable ${variable}`;
    super("llm_missing_api_key", `no API key for ${provider}: ${where}`, 400, { provider, variable });
    this.name = "MissingApiKeyError";
  }
}

/** A replayed request has no recorded answer; replay never makes one up. */
export class CassetteMissError extends ShipyardError {
  constructor(
    readonly fingerprint: string,
    readonly file: string,
    reason = "has no entry for this request",
  ) {
    super(
      "llm_cassette_miss",
      `cassette ${file} ${reason} (fingerprint ${fingerprint}); record it with SHIPYARD_RECORD=1 and a real model`,
      500,
      { fingerprint, file },
    );
    this.name = "CassetteMissError";
  }
}

/** Which budget a call would exceed. */
export type BudgetKind = "step" | "operation" | "workspace_daily";

const BUDGET_NAMES: Record<BudgetKind, string> = { step: "step budget", operation: "operation budget", workspace_daily: "workspace daily budget" };

/** A model call would exceed a budget; thrown before the call is made. */
export class BudgetExceededError extends ShipyardError {
  constructor(
    readonly budget: BudgetKind,
    readonly spentUsd: number,
    readonly limitUsd: number,
    readonly estimatedCostUsd: number,
  ) {
    super(
      "budget_exceeded",
      `${BUDGET_NAMES[budget]} exceeded: spent $${spentUsd.toFixed(6)} + estimated $${estimatedCostUsd.toFixed(6)} > limit $${limitUsd.toFixed(6)}`,
      402,
      { budget, spentUsd, limitUsd, estimatedCostUsd },
    );
    this.name = "BudgetExceededError";
  }
}
