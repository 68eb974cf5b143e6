// One rule for every command's exit status, printed by `shipyard --help` and the README.

/** The exit statuses every command keeps to. */
export const EXIT = {
  /** Done: the run, job or build succeeded, the file is valid, the request was carried out. */
  ok: 0,
  /** Failed: the run, job or build failed or was cancelled, the workflow file is invalid, or a server, worker or runner stopped on an error (a rejected runner token too). */
  failed: 1,
  /** Not done: bad usage (an unknown option, a missing or malformed argument or input), no server reachable, or a request the server refused (unauthorized, not found, invalid). */
  notDone: 2,
  /** Ctrl-C while following: the operation goes on. */
  detached: 130,
} as const;

/** The rule as `shipyard --help` shows it. */
export const EXIT_CODES_HELP = `
Exit status (the same for every command):
  0    done: the run, job or build succeeded; the file is valid; the request was carried out
  1    failed: the run, job or build failed or was cancelled; the workflow file is invalid;
       a server, worker or runner stopped on an error (a rejected runner token too)
  2    not done: bad usage (unknown option, missing or malformed argument or --input), no server
       reachable, or a request the server refused (unauthorized, not found, invalid)
  130  Ctrl-C while following: the run, job or build goes on
`;
