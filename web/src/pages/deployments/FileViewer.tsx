import { yaml } from "@codemirror/lang-yaml";
import { EditorState, type Extension } from "@codemirror/state";
import { EditorView, lineNumbers } from "@codemirror/view";
import { useEffect, useMemo, useRef, useState } from "react";

/** One generated file with its content (GET /deployments/{id}/files). */
export interface FileWithContent {
  path: string;
  content: string;
}

// JSON is YAML too, so values.schema.json is highlighted by the same language.
function language(path: string): Extension[] {
  return /\.(ya?ml|json)$/.test(path) ? [yaml()] : [];
}

/** The file's text in a read-only CodeMirror (remade when the file changes). */
function CodeView({ file }: { file: FileWithContent }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const view = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: file.content,
        extensions: [lineNumbers(), EditorState.readOnly.of(true), EditorView.editable.of(false), ...language(file.path), EditorView.contentAttributes.of({ "aria-label": `Contents of ${file.path}` })],
      }),
    });
    return () => view.destroy();
  }, [file]);
  return <div ref={host} className="editor" data-file={file.path} />;
}

/** A directory's files and subdirectories, as the tree lists them. */
interface Folder {
  files: FileWithContent[];
  folders: Map<string, Folder>;
}

function treeOf(files: FileWithContent[]): Folder {
  const root: Folder = { files: [], folders: new Map() };
  for (const f of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    const parts = f.path.split("/");
    let at = root;
    for (const dir of parts.slice(0, -1)) {
      if (!at.folders.has(dir)) at.folders.set(dir, { files: [], folders: new Map() });
      at = at.folders.get(dir)!;
    }
    at.files.push(f);
  }
  return root;
}

function FolderList({ folder, chosen, onChoose }: { folder: Folder; chosen: string | null; onChoose: (path: string) => void }) {
  return (
    <ul className="file-tree">
      {[...folder.folders].map(([name, sub]) => (
        <li key={name}>
          <span className="folder">{name}/</span>
          <FolderList folder={sub} chosen={chosen} onChoose={onChoose} />
        </li>
      ))}
      {folder.files.map((f) => (
        <li key={f.path}>
          <button type="button" className="link" aria-current={chosen === f.path ? "true" : undefined} onClick={() => onChoose(f.path)}>
            {f.path.split("/").pop()}
          </button>
        </li>
      ))}
    </ul>
  );
}

/** A deployment's generated files: a tree to pick one, and its contents beside it. */
export function FileViewer({ files }: { files: FileWithContent[] }) {
  const tree = useMemo(() => treeOf(files), [files]);
  const [chosen, setChosen] = useState<string | null>(null);
  const file = files.find((f) => f.path === chosen) ?? null;
  return (
    <div className="files">
      <nav aria-label="Generated files">
        <FolderList folder={tree} chosen={chosen} onChoose={setChosen} />
      </nav>
      {file ? <CodeView key={file.path} file={file} /> : <p className="hint">Choose a file to see its contents.</p>}
    </div>
  );
}
