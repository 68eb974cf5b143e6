-- Browser sign-in for the web UI. A one-time code (printed by `shipyard up`) or a pasted token opens a session;
-- the browser holds only the session's secret, in an HttpOnly cookie. Both keep only a SHA-256 of their secret,
-- like api_tokens.
create table web_signin_codes (
  code_hash text primary key,
  workspace_id text not null references workspaces(id),
  expires_at timestamptz not null,
  used_at timestamptz
);

-- A session stands for a token: its principal is the token's, and it dies with the token. `owns_token`: the
-- token was minted for this session (a sign-in code), so signing out revokes the token too.
create table web_sessions (
  id text primary key,
  session_hash text not null unique,
  token_id text not null references api_tokens(id),
  owns_token boolean not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz
);
create index web_sessions_token on web_sessions(token_id) where revoked_at is null;
