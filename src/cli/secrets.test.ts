// `secrets set` without --value: on a terminal it prompts without echoing what is typed, else it reads stdin. The
// terminal is stood in for by a stream that says it is a TTY (readline then drives it as one: raw mode, its own
// echo), so what the user would see is exactly what reached `output`. The piped path is test/secrets.test.ts's.
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { secretValue } from "./secrets.ts";

/** A fake terminal: input that claims to be a TTY, and everything written back to it. */
function terminal(): { input: PassThrough & { isTTY: boolean; setRawMode: (on: boolean) => void; rawModes: boolean[] }; output: PassThrough; shown: () => string } {
  const rawModes: boolean[] = [];
  const input = Object.assign(new PassThrough(), { isTTY: true, rawModes, setRawMode: (on: boolean) => void rawModes.push(on) });
  const output = new PassThrough();
  let shown = "";
  output.on("data", (d: Buffer) => (shown += d.toString()));
  return { input, output, shown: () => shown };
}

describe("secretValue", () => {
  it("on a terminal, prompts with the name and takes the typed line without echoing it", async () => {
    const tty = terminal();
    const value = secretValue("ANTHROPIC_API_KEY", undefined, tty);
    // Typed one character at a time, as a person does.
    for (const ch of "sk-typed-secret") tty.input.write(ch);
    tty.input.write("\r");
    expect(await value).toBe("sk-typed-secret");
    expect(tty.shown()).toContain("value of ANTHROPIC_API_KEY (not shown):");
    expect(tty.shown()).not.toContain("sk-");
    expect(tty.shown()).not.toMatch(/typed|secret/);
    // The terminal was put in raw mode (no echo of its own) and given back.
    expect(tty.input.rawModes).toEqual([true, false]);
  });

  it("on a terminal, an empty line stores nothing and says what to do", async () => {
    const tty = terminal();
    const value = secretValue("EMPTY", undefined, tty);
    tty.input.write("\r");
    await expect(value).rejects.toThrow(/no value typed: type it at the prompt, pipe it in/);
  });

  it("piped, reads all of stdin and drops one trailing newline; --value wins over both", async () => {
    const input = new PassThrough();
    input.end("line one\nline two\n");
    expect(await secretValue("K", undefined, { input, output: new PassThrough() })).toBe("line one\nline two");
    expect(await secretValue("K", "from-flag", terminal())).toBe("from-flag");
  });
});
