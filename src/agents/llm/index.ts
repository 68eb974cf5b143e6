// The model layer: one entry point for resolving, replaying, metering and budgeting model calls.
export { resolveModel, requiredKey, parseSpec, PROVIDERS, type ResolveOptions, type GetSecret, type Endpoint, type ParsedSpec } from "./resolve.ts";
export { UnknownProviderError, MissingApiKeyError, CassetteMissError, BudgetExceededError, type BudgetKind } from "./errors.ts";
export { fingerprint, normalizeRequest, type NormalizedRequest } from "./fingerprint.ts";
export { cassettesDirFrom, cassettePath, cassetteNameFor, readCassette, type CassetteFile, type CassetteEntry, type CassetteResponse } from "./cassette.ts";
export { replayModel, recordingModel } from "./replay.ts";
export { DEFAULT_PRICES, loadPrices, priceOf, costOf, type ModelPrice, type PriceTable } from "./prices.ts";
export { recordUsage, usageSummary, llmMetrics, type UsageRecord, type StoredUsage, type UsageGroup, type UsageGroupBy, type LlmMetrics } from "./usage.ts";
export { USAGE_BUCKET_MS, usageSeries, type UsageBucket, type UsageSeriesBy, type UsageSeriesBucket } from "./usage-series.ts";
export { checkBudget, setBudget, clearBudget, estimateCost, spent, remainingBudget, workspaceDailyLimit, type BudgetCheck } from "./budget.ts";
export { meteredModel, type MeterContext } from "./metered.ts";
export { providerFamily, type ModelV3 } from "./spec.ts";
export { remoteModel, type RemoteModelOptions } from "./remote.ts";
