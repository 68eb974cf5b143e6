import { useState } from "react";

/** The app's one page: a counter and a small task list. */
export default function App() {
  const [count, setCount] = useState(0);
  const [tasks, setTasks] = useState(["Read the README", "Change this page"]);
  const [draft, setDraft] = useState("");

  const addTask = (event) => {
    event.preventDefault();
    const text = draft.trim();
    if (text === "") return;
    setTasks([...tasks, text]);
    setDraft("");
  };

  return (
    <main className="app">
      <h1>Hello from React + Vite</h1>
      <p>
        <button type="button" onClick={() => setCount(count + 1)}>
          Clicked {count} times
        </button>
      </p>
      <form onSubmit={addTask}>
        <input value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="A new task" aria-label="New task" />
        <button type="submit">Add</button>
      </form>
      <ul>
        {tasks.map((task, i) => (
          <li key={i}>{task}</li>
        ))}
      </ul>
    </main>
  );
}
