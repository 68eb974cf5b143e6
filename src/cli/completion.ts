// `shipyard completion bash|zsh`: the shell script is generated from commander's command tree, so a new command
// or option completes without anyone editing a list.
import type { Command, Option } from "commander";
import { CliError } from "./client.ts";

/** One command of the tree: its path from the root ("" for the root, "jobs.add"), subcommands and options. */
interface Node {
  path: string;
  subcommands: { name: string; description: string }[];
  options: { flags: string[]; description: string; takesValue: boolean }[];
}

const visibleOptions = (options: readonly Option[]) => options.filter((o) => !o.hidden);

/** Every command below (and including) `cmd`, depth first. */
export function commandTree(cmd: Command, prefix = ""): Node[] {
  const options = visibleOptions(cmd.options).map((o) => ({
    flags: [o.long, o.short].filter((f): f is string => Boolean(f)),
    description: o.description,
    takesValue: o.required || o.optional,
  }));
  options.push({ flags: ["--help", "-h"], description: "display help", takesValue: false });
  const subs = cmd.commands.filter((c) => c.name() !== "help");
  const node: Node = { path: prefix, subcommands: subs.map((c) => ({ name: c.name(), description: c.description() })), options };
  return [node, ...subs.flatMap((c) => commandTree(c, prefix ? `${prefix}.${c.name()}` : c.name()))];
}

/** The flags anywhere in the tree whose next word is their value, not a command. */
const valueFlags = (nodes: Node[]) => [...new Set(nodes.flatMap((n) => n.options.filter((o) => o.takesValue).flatMap((o) => o.flags)))].sort();
const commandPaths = (nodes: Node[]) => nodes.map((n) => n.path).filter(Boolean);
const quoteSingle = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A bash completion script: `source <(shipyard completion bash)`. */
export function bashCompletion(program: Command): string {
  const nodes = commandTree(program);
  const name = program.name();
  const cases = nodes.map((n) => `    ${quoteSingle(n.path)}) words=${quoteSingle([...n.subcommands.map((s) => s.name), ...n.options.flatMap((o) => o.flags)].join(" "))} ;;`);
  return `# ${name} completion for bash, generated from its command tree: source <(${name} completion bash)
_${name}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmdpath="" next w i words=""
  local paths=${quoteSingle(` ${commandPaths(nodes).join(" ")} `)} valued=${quoteSingle(` ${valueFlags(nodes).join(" ")} `)}
  # The value of an option that takes one is a file or free text: leave it to the default completion.
  if [[ $cur != -* && $valued == *" $prev "* ]]; then return 0; fi
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if [[ $w == -* ]]; then continue; fi
    if [[ $valued == *" \${COMP_WORDS[i-1]} "* ]]; then continue; fi
    next=\${cmdpath:+$cmdpath.}$w
    if [[ $paths == *" $next "* ]]; then cmdpath=$next; fi
  done
  case $cmdpath in
${cases.join("\n")}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _${name} ${name}
`;
}

/** A zsh completion script with each command's and option's description: `source <(shipyard completion zsh)`. */
export function zshCompletion(program: Command): string {
  const nodes = commandTree(program);
  const name = program.name();
  const entry = (word: string, description: string) => quoteSingle(`${word.replace(/:/g, "\\:")}:${description.split("\n")[0] ?? ""}`);
  const cases = nodes.map((n) => {
    const subs = n.subcommands.map((s) => entry(s.name, s.description)).join(" ");
    const opts = n.options.flatMap((o) => o.flags.map((f) => entry(f, o.description))).join(" ");
    return `    (${quoteSingle(n.path)}) subs=(${subs}); opts=(${opts}) ;;`;
  });
  return `#compdef ${name}
# ${name} completion for zsh, generated from its command tree: source <(${name} completion zsh)
_${name}() {
  local cmdpath="" next w i
  local paths=${quoteSingle(` ${commandPaths(nodes).join(" ")} `)} valued=${quoteSingle(` ${valueFlags(nodes).join(" ")} `)}
  local -a subs opts
  if [[ $PREFIX != -* && $valued == *" \${words[CURRENT-1]} "* ]]; then _files; return; fi
  for ((i = 2; i < CURRENT; i++)); do
    w=\${words[i]}
    [[ $w == -* ]] && continue
    [[ $valued == *" \${words[i-1]} "* ]] && continue
    next=\${cmdpath:+$cmdpath.}$w
    [[ $paths == *" $next "* ]] && cmdpath=$next
  done
  case $cmdpath in
${cases.join("\n")}
  esac
  if [[ $PREFIX == -* ]]; then _describe -t options option opts
  elif (( \${#subs} )); then _describe -t commands command subs
  else _files
  fi
}
if (( $+functions[compdef] )); then compdef _${name} ${name}; fi
`;
}

/** Register `completion bash|zsh`. */
export function registerCompletionCommand(program: Command): void {
  program
    .command("completion")
    .description("print a shell completion script: source <(shipyard completion bash), or zsh")
    .argument("<shell>", "bash or zsh")
    .action((shell: string) => {
      if (shell !== "bash" && shell !== "zsh") throw new CliError(`completion is for bash or zsh, not ${JSON.stringify(shell)}`);
      process.stdout.write(shell === "bash" ? bashCompletion(program) : zshCompletion(program));
    });
}
