import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { yaml } from "@codemirror/lang-yaml";
import { linter, lintGutter, type Diagnostic } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers } from "@codemirror/view";
import { useEffect, useRef } from "react";
import type { WorkflowIssue } from "../api/types.ts";

/**
 * A YAML editor (CodeMirror) whose problems come from the server's validator: `validate` is called as the text
 * settles, and each problem it returns is drawn at its line and column.
 */
export function YamlEditor({ initial, onChange, validate, label }: {
  initial: string;
  onChange: (text: string) => void;
  validate: (text: string) => Promise<WorkflowIssue[]>;
  label: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  // The editor is made once; these refs let it call the latest callbacks.
  const change = useRef(onChange);
  const check = useRef(validate);
  change.current = onChange;
  check.current = validate;
  useEffect(() => {
    const source = async (view: EditorView): Promise<Diagnostic[]> => {
      const issues = await check.current(view.state.doc.toString());
      return issues.map((i) => {
        const line = view.state.doc.line(Math.min(Math.max(i.line, 1), view.state.doc.lines));
        const from = Math.min(line.from + Math.max(i.column - 1, 0), line.to);
        return { from, to: line.to > from ? line.to : from, severity: "error", message: i.message };
      });
    };
    const view = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: initial,
        extensions: [
          lineNumbers(),
          history(),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          yaml(),
          lintGutter(),
          linter(source, { delay: 300 }),
          EditorView.contentAttributes.of({ "aria-label": label }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) change.current(u.state.doc.toString());
          }),
        ],
      }),
    });
    return () => view.destroy();
    // Made once per mount: `initial` is only the starting text.
  }, []);
  return <div ref={host} className="editor" />;
}
