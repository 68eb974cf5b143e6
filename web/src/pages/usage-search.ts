// The usage page's URL search params, apart from the page so the router (in the first bundle) does not pull in
// the lazily loaded page.

/** The chart's choices, kept in the URL so a view can be shared and reloaded (defaults left out). */
export interface UsageSearch {
  by?: "model" | "project";
  bucket?: "hour" | "day";
  metric?: "cost" | "tokens";
}

/** The usage search params of a URL, as the router keeps them (unknown values and defaults dropped). */
export function validateUsageSearch(s: Record<string, unknown>): UsageSearch {
  return {
    ...(s.by === "project" ? { by: "project" as const } : {}),
    ...(s.bucket === "hour" ? { bucket: "hour" as const } : {}),
    ...(s.metric === "tokens" ? { metric: "tokens" as const } : {}),
  };
}
