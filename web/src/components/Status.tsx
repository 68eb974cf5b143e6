/** A status as a coloured badge (the word is always there: colour is never the only cue). */
export function Status({ status }: { status: string }) {
  return <span className={`status status-${status}`}>{status}</span>;
}

/** An API error (or any error) as an alert. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p role="alert" className="error">
      {message}
    </p>
  );
}
