// The `replay` provider and its recorder. Replay answers only from a cassette (a miss is an error, never an
// invented answer); the recorder is middleware around a real model that writes each answer it got.
import { wrapLanguageModel } from "ai";
import { cassettePath, lookup, readCassette, responseOf, resultOf, writeEntry } from "./cassette.ts";
import { fingerprint, normalizeRequest } from "./fingerprint.ts";
import type { ModelV3 } from "./spec.ts";
import { collectStream, partsOf, streamOf } from "./stream.ts";

/** A model that plays cassette `name` from `dir`; its calls are fingerprinted with the cassette's `model`. */
export function replayModel(dir: string, name: string): ModelV3 {
  const file = cassettePath(dir, name);
  const answer = async (params: Parameters<ModelV3["doGenerate"]>[0]) => {
    // A missing file still gets a fingerprint (with the replay spec as model) so the error can name one.
    const model = (await readCassette(file))?.model ?? `replay:${name}`;
    return resultOf(await lookup(file, fingerprint(model, params)), name);
  };
  return {
    specificationVersion: "v3",
    provider: "replay",
    modelId: name,
    supportedUrls: {},
    doGenerate: answer,
    async doStream(params) {
      const r = await answer(params);
      return { stream: streamOf(partsOf(r.content, r.finishReason, r.usage, name)) };
    },
  };
}

/** Options of the recorder. */
export interface RecordOptions {
  /** The `provider:model` spec the cassette is recorded from; part of every fingerprint. */
  spec: string;
  dir: string;
  /** The cassette's name (file `<dir>/<name>.json`). */
  name: string;
}

/** `model` wrapped so that each answer it gives (generated or streamed) is written to the cassette. */
export function recordingModel(model: ModelV3, opts: RecordOptions): ModelV3 {
  const file = cassettePath(opts.dir, opts.name);
  const save = (params: Parameters<ModelV3["doGenerate"]>[0], response: ReturnType<typeof responseOf>) => {
    const request = normalizeRequest(opts.spec, params);
    return writeEntry(file, opts.spec, fingerprint(opts.spec, params), { request, response });
  };
  return wrapLanguageModel({
    model,
    middleware: {
      specificationVersion: "v3",
      async wrapGenerate({ doGenerate, params }) {
        const result = await doGenerate();
        await save(params, responseOf(result.content, result.finishReason, result.usage));
        return result;
      },
      async wrapStream({ doStream, params }) {
        const { stream, ...rest } = await doStream();
        const recorded = stream.pipeThrough(collectStream((c) => save(params, responseOf(c.content, c.finishReason, c.usage))));
        return { stream: recorded, ...rest };
      },
    },
  });
}
