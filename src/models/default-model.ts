import { ShipyardError } from "../domain/errors.ts";

/** The error of a model-backed step or job that names no model when no default is set either. */
export function noModelError(what: string): ShipyardError {
  return new ShipyardError(
    "no_model",
    `${what} names no model and there is no default: give it a model (provider:model) or set the workspace's default (shipyard default-model SPEC)`,
    400,
  );
}
