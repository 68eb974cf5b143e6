// The offline build demo (`shipyard demo`) and what the model "says" in its recorded cassette (cassettes/build-demo.json): scripted answers for the
// offline demo and the build tests, replayed by `replay:build-demo`. scripts/record-build-cassette.ts plays them
// through a fake OpenAI-compatible API while a real build runs, so every fingerprint is the one a build computes.
// Change a prompt of the build or the agent and the cassette must be recorded again (that script, once).

/** One scripted build: the request, the plan the model answers, and the agent's edits per task. */
export interface Scenario {
  prompt: string;
  tasks: { title: string; description: string; writes: Record<string, string>; summary: string }[];
  /** The fix attempt's edits, when the first test phase fails (a page that throws). */
  fix?: { writes: Record<string, string>; summary: string };
}

const BAKERY_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <title>Crumb &amp; Co. - neighbourhood bakery</title>
    <link rel="stylesheet" href="style.css" />
  </head>
  <body>
    <header class="hero">
      <h1>Crumb &amp; Co.</h1>
      <p class="tagline">Slow-proofed bread, baked every morning on Mill Street.</p>
    </header>
    <main>
      <section id="menu">
        <h2>Today's bread</h2>
        <ul class="menu">
          <li><span>Country sourdough</span><span>$7</span></li>
          <li><span>Seeded rye</span><span>$8</span></li>
          <li><span>Butter brioche</span><span>$9</span></li>
        </ul>
      </section>
      <section id="hours">
        <h2>Opening hours</h2>
        <p>Tuesday to Sunday, 7 am to 2 pm.</p>
      </section>
      <section id="special">
        <button type="button" id="reveal">Show today's special</button>
        <p id="special-text" aria-live="polite"></p>
      </section>
    </main>
    <script src="app.js"></script>
  </body>
</html>
`;

const BAKERY_CSS = `:root { --crust: #8a4b16; --flour: #fdf8f0; --ink: #2b2118; }
* { box-sizing: border-box; }
body { margin: 0; font-family: Georgia, "Times New Roman", serif; background: var(--flour); color: var(--ink); }
.hero { padding: 4rem 1.5rem; text-align: center; background: var(--crust); color: var(--flour); }
.hero h1 { margin: 0; font-size: 3rem; }
.tagline { font-style: italic; }
main { max-width: 40rem; margin: 0 auto; padding: 2rem 1.5rem; }
.menu { list-style: none; padding: 0; }
.menu li { display: flex; justify-content: space-between; padding: 0.5rem 0; border-bottom: 1px dashed var(--crust); }
button { font: inherit; padding: 0.6rem 1.2rem; border: 0; border-radius: 999px; background: var(--crust); color: var(--flour); cursor: pointer; }
`;

const BAKERY_JS = `// Reveals the special of the day of the week.
const specials = ["Cardamom buns", "Olive fougasse", "Cinnamon knots", "Rye crackers", "Fruit loaf", "Focaccia", "Croissants"];
const button = document.getElementById("reveal");
const text = document.getElementById("special-text");
button.addEventListener("click", () => {
  text.textContent = "Today's special: " + specials[new Date().getDay()];
});
`;

const GREETER_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <title>Hello</title>
    <link rel="stylesheet" href="style.css" />
  </head>
  <body>
    <main>
      <h1>Who are you?</h1>
      <label>Your name <input id="name" autocomplete="name" /></label>
      <button type="button" id="greet">Greet me</button>
      <p id="greeting" aria-live="polite"></p>
    </main>
    <script src="app.js"></script>
  </body>
</html>
`;

// Looks for an element that does not exist: the page throws as it loads, which the preview check catches.
const GREETER_BROKEN_JS = `const input = document.getElementById("visitor-name");
input.addEventListener("input", () => {});
document.getElementById("greet").addEventListener("click", () => {
  document.getElementById("greeting").textContent = "Hello, " + input.value + "!";
});
`;

const GREETER_FIXED_JS = `const input = document.getElementById("name");
document.getElementById("greet").addEventListener("click", () => {
  document.getElementById("greeting").textContent = "Hello, " + (input.value.trim() || "stranger") + "!";
});
`;

/** Every scripted build, by the request it answers. */
export const SCENARIOS: Scenario[] = [
  {
    prompt: "A landing page for Crumb & Co., a neighbourhood bakery: the name and a tagline, a menu of three breads with prices, opening hours, and a button that reveals the day's special.",
    tasks: [
      { title: "Write the page's structure", description: "Rewrite site/index.html: a hero with the bakery's name and tagline, a menu of three breads with prices, opening hours, and a button with an empty paragraph for the special.", writes: { "site/index.html": BAKERY_HTML }, summary: "Wrote the bakery's page in site/index.html." },
      { title: "Style the page", description: "Rewrite site/style.css: warm bakery colours, a full-width hero, a dotted menu list and a rounded button.", writes: { "site/style.css": BAKERY_CSS }, summary: "Styled the page in site/style.css." },
      { title: "Reveal the day's special", description: "Rewrite site/app.js: clicking the button shows the special of the day of the week.", writes: { "site/app.js": BAKERY_JS }, summary: "The button now reveals the day's special (site/app.js)." },
    ],
  },
  {
    prompt: "A page that asks for the visitor's name and greets them by it.",
    tasks: [
      { title: "Add the greeting", description: "Rewrite site/index.html with a name field, a button and an output paragraph, and site/app.js to greet the visitor by name.", writes: { "site/index.html": GREETER_HTML, "site/app.js": GREETER_BROKEN_JS }, summary: "Added the name field and the greeting." },
    ],
    fix: { writes: { "site/app.js": GREETER_FIXED_JS }, summary: "site/app.js looked up an element that does not exist; it now uses #name." },
  },
  {
    prompt: "Review the page and leave it as it is if nothing needs changing.",
    tasks: [{ title: "Review the page", description: "Read site/index.html and change nothing unless something is broken.", writes: {}, summary: "The page is fine as it is; I changed nothing." }],
  },
];

/** The model that replays the demo's cassette. */
export const DEMO_MODEL = "replay:build-demo";
/** The template the demo's scenarios were recorded on. */
export const DEMO_TEMPLATE = "static";
