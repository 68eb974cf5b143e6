// The Architect's recorded conversations (cassettes/architect-<scenario>.json): what the user says each turn,
// what the Architect answers, and the build that follows (its plan and the agent's edits).
// scripts/record-architect-cassettes.ts plays them through a fake OpenAI-compatible API while a real Shipyard
// runs, so every fingerprint is the one a turn or a build computes. Change a prompt of the Architect, the
// build or the agent, or a turn here, and record again (that script, once). Other branches drive these
// conversations too (workflow trees): keep scenario names, feature names, templates and messages stable.
import { emptyPlan, type Plan } from "./schemas.ts";

/** One turn of a recorded conversation. */
export interface DemoTurn {
  message: string;
  /** URL references, as paths of the local reference page server (the test or tree serves REFERENCE_PAGE). */
  referencePaths?: string[];
  reply: string;
  plan: Plan;
}

/** An edit of a template file the agent makes (applied to the template's copy when recording). */
export interface DemoPatch {
  file: string;
  from: string;
  to: string;
}

/** A recorded conversation and its build. */
export interface ArchitectScenario {
  /** The cassette is `architect-<name>`, the model `replay:architect-<name>`. */
  name: string;
  template: string;
  featureName: string;
  turns: DemoTurn[];
  build: DemoBuild;
  /** A later turn on the built blueprint and the build that follows it (from the first build's commit). */
  followUp?: { turns: DemoTurn[]; build: DemoBuild };
}

/** A recorded build: its plan's tasks and what the agent writes for each. */
export interface DemoBuild {
  tasks: { title: string; description: string; writes: Record<string, string>; summary: string; patches?: DemoPatch[] }[];
}

/** The model a scenario replays. */
export const scenarioModel = (s: Pick<ArchitectScenario, "name">) => `replay:architect-${s.name}`;

const plan = (p: Omit<Partial<Plan>, "sections"> & { sections?: Partial<Plan["sections"]> }): Plan => {
  const base = emptyPlan();
  return { ...base, ...p, sections: { ...base.sections, ...p.sections } };
};

const agent = { name: "Agent", description: "Someone who lives in the world.", fields: [
  { name: "id", type: "number", description: "Stable id" },
  { name: "name", type: "string", description: "Shown above the agent" },
  { name: "x", type: "number", description: "Column, in tiles (fractional while walking)" },
  { name: "y", type: "number", description: "Row, in tiles" },
  { name: "target", type: "{x, y}", description: "The tile it walks to" },
] };
const conversation = { name: "Conversation", description: "Two agents within 1.5 tiles of each other talking.", fields: [
  { name: "speakers", type: "[Agent, Agent]", description: "Who talks" },
  { name: "line", type: "string", description: "What is said, shown as a speech bubble" },
  { name: "until", type: "number", description: "World time the bubble disappears" },
] };
const noEndpoints = { status: "complete" as const, endpoints: [] };
const summary = "A 2D world where agents walk around on a tile map and talk to each other.";

const CONVERSATIONS_JS = `// What agents say when they meet: a line picked from the pair's ids, so the same meeting says the same thing.
const LINES = ["Nice weather today!", "Have you seen the lake?", "Where are you heading?", "I like this path.", "Good to see you!", "Let's walk together."];

/** The line \`a\` says to \`b\` when they meet. */
export function lineFor(a, b) {
  return LINES[(a.id * 7 + b.id * 3) % LINES.length];
}
`;

const WEATHER_JS = `// The weather over the world: it changes every 20 seconds, shown under the map.
const KINDS = ["sunny", "cloudy", "rainy", "windy"];
const shown = document.getElementById("weather");
const show = () => (shown.textContent = "Weather: " + KINDS[Math.floor(Date.now() / 20000) % KINDS.length]);
show();
setInterval(show, 1000);
`;
const weather = { name: "Weather", description: "What the sky does over the whole world.", fields: [{ name: "kind", type: "sunny | cloudy | rainy | windy", description: "Changes every 20 seconds" }] };

/** The Aeries demo of seed 004: agents that walk around a 2D world and talk to whoever is nearby. */
export const SOCIAL_WORLD: ArchitectScenario = {
  name: "social-world",
  template: "world",
  featureName: "Social World",
  turns: [
    {
      message: "I want agents that walk around a 2D world and have conversations",
      reply: "A living little world, then. I have sketched agents that wander the tile map. How should agents decide who to talk to? Proximity-based, or interest matching?",
      plan: plan({
        summary,
        sections: { dataModel: { status: "partial", entities: [agent] }, apiEndpoints: noEndpoints, uiComponents: { status: "partial", components: [{ name: "WorldCanvas", purpose: "Draws the tile map and the agents walking on it" }] } },
        openQuestions: [{ id: "q1", question: "How should agents decide who to talk to: proximity, or interest matching?" }],
        assumptions: ["The world runs in the browser; no server API is needed."],
      }),
    },
    {
      message: "Proximity - they talk to whoever is nearby",
      reply: "Proximity it is: two agents within a tile and a half start talking. Should conversations be visible to all users, or only when you click on an agent?",
      plan: plan({
        summary,
        sections: { dataModel: { status: "complete", entities: [agent, conversation] }, apiEndpoints: noEndpoints, uiComponents: { status: "partial", components: [{ name: "WorldCanvas", purpose: "Draws the tile map and the agents walking on it" }] } },
        openQuestions: [{ id: "q2", question: "Should conversations be visible to everyone, or only when you click on an agent?" }],
        assumptions: ["The world runs in the browser; no server API is needed.", "Nearby means within 1.5 tiles."],
      }),
    },
    {
      message: "Visible as speech bubbles above agents",
      reply: "Speech bubbles above the agents, visible to everyone. Plan looks complete. Ready to build?",
      plan: plan({
        summary,
        sections: {
          dataModel: { status: "complete", entities: [agent, conversation] },
          apiEndpoints: noEndpoints,
          uiComponents: { status: "complete", components: [{ name: "WorldCanvas", purpose: "Draws the tile map and the agents walking on it" }, { name: "SpeechBubble", purpose: "The line an agent says, above its head, for a few seconds" }] },
        },
        assumptions: ["The world runs in the browser; no server API is needed.", "Nearby means within 1.5 tiles."],
      }),
    },
  ],
  followUp: {
    turns: [
      {
        message: "Add a weather system",
        reply: "Weather it is: the sky over the world changes every 20 seconds (sunny, cloudy, rainy, windy), shown under the map. The plan is complete again; build it when you are ready.",
        plan: plan({
          summary: `${summary} The weather changes over time.`,
          sections: {
            dataModel: { status: "complete", entities: [agent, conversation, weather] },
            apiEndpoints: noEndpoints,
            uiComponents: {
              status: "complete",
              components: [{ name: "WorldCanvas", purpose: "Draws the tile map and the agents walking on it" }, { name: "SpeechBubble", purpose: "The line an agent says, above its head, for a few seconds" }, { name: "WeatherLine", purpose: "The current weather, under the map" }],
            },
          },
          assumptions: ["The world runs in the browser; no server API is needed.", "Nearby means within 1.5 tiles."],
        }),
      },
    ],
    build: {
      tasks: [
        {
          title: "Add the weather",
          description: "Create site/weather.js, which shows the current weather (changing every 20 seconds) in a #weather line, and add that line and the script to site/index.html.",
          writes: { "site/weather.js": WEATHER_JS },
          patches: [{ file: "site/index.html", from: '    <script type="module" src="main.js"></script>', to: '    <p id="weather" class="help">Weather: sunny</p>\n    <script type="module" src="main.js"></script>\n    <script type="module" src="weather.js"></script>' }],
          summary: "Added the weather (site/weather.js) and its line under the map.",
        },
      ],
    },
  },
  build: {
    tasks: [
      {
        title: "Give agents things to say",
        description: "Create site/conversations.js exporting lineFor(a, b): a line of small talk chosen from the two agents' ids; in site/main.js, agents that meet say that line to the nearest one instead of Hello!.",
        writes: { "site/conversations.js": CONVERSATIONS_JS },
        patches: [
          { file: "site/main.js", from: 'import { createWorld, moveTo, nearby, say, step, TILE } from "./world.js";', to: 'import { createWorld, moveTo, nearby, say, step, TILE } from "./world.js";\nimport { lineFor } from "./conversations.js";' },
          { file: "site/main.js", from: 'nearby(world, a, 1.5).length > 0) say(world, a, "Hello!");', to: 'nearby(world, a, 1.5).length > 0) say(world, a, lineFor(a, nearby(world, a, 1.5)[0]));' },
        ],
        summary: "Agents that meet now talk: lines in site/conversations.js, said to the nearest agent (site/main.js).",
      },
    ],
  },
};

const pricingPlan = (status: "partial" | "complete", questions: Plan["openQuestions"]): Plan =>
  plan({
    summary: "A pricing page with three plans side by side and a call to action on each.",
    sections: {
      dataModel: { status: "complete", entities: [{ name: "Tier", description: "One plan on the page.", fields: [{ name: "name", type: "string", description: "Starter, Team or Business" }, { name: "price", type: "string", description: "Per month" }, { name: "features", type: "string[]", description: "What it includes" }] }] },
      apiEndpoints: noEndpoints,
      uiComponents: { status, components: [{ name: "PricingGrid", purpose: "Three tier cards in a row, the middle one highlighted" }, { name: "TierCard", purpose: "Name, price, feature list and a button" }] },
      designSystem: {
        status,
        colors: status === "complete" ? [{ name: "background", value: "#ffffff" }, { name: "accent", value: "#2563eb" }, { name: "text", value: "#0f172a" }] : [{ name: "background", value: "#0f172a" }, { name: "accent", value: "#38bdf8" }, { name: "text", value: "#f8fafc" }],
        typography: [{ name: "heading", fontFamily: "system-ui, sans-serif", size: "40px", weight: "700" }, { name: "body", fontFamily: "system-ui, sans-serif", size: "16px", weight: "400" }],
        spacing: [8, 16, 32],
        borderRadius: "12px",
        inspirationNotes: status === "complete" ? "Three-tier layout and card rhythm from the reference; light theme with blue accents at the user's request." : "From the reference: a dark page, three cards in a row, the middle one raised with a bright border.",
      },
    },
    openQuestions: questions,
  });

/** Seed 004's design-from-reference tree: a pricing page shaped from a screenshot of a local page. */
export const DESIGN_FROM_REFERENCE: ArchitectScenario = {
  name: "design-from-reference",
  template: "static",
  featureName: "Pricing Page",
  turns: [
    {
      message: "Build a pricing page inspired by this",
      referencePaths: ["/pricing.html"],
      reply: "I see a dark pricing page: three cards in a row on a navy background, the middle one raised with a bright cyan border, bold headings and generous 32px gaps. I am confident about the three-tier layout, less sure about the accent. Match it exactly or use it as inspiration?",
      plan: pricingPlan("partial", [{ id: "q1", question: "Match the reference exactly, or use it as inspiration?" }]),
    },
    {
      message: "Use as inspiration. Match the 3-tier layout but use a light theme with blue accents.",
      reply: "Inspiration it is: the three-tier layout stays, on a white page with blue (#2563eb) accents. The plan is complete; say the word and I will hand it to the build.",
      plan: pricingPlan("complete", []),
    },
    {
      message: "Looks good, build it",
      reply: "Great. The plan is complete and ready to build: start the build and watch it go through spec, design, implement, test and deploy.",
      plan: pricingPlan("complete", []),
    },
  ],
  build: {
    tasks: [
      {
        title: "Write the pricing page",
        description: "Rewrite site/index.html with three tier cards (Starter, Team, Business) and site/style.css with a light theme and blue accents.",
        writes: {
          "site/index.html": `<!doctype html>\n<html lang="en">\n  <head>\n    <meta charset="UTF-8" />\n    <title>Pricing</title>\n    <link rel="stylesheet" href="style.css" />\n  </head>\n  <body>\n    <h1>Pricing</h1>\n    <main class="grid">\n      <section class="tier"><h2>Starter</h2><p class="price">$9</p><button>Choose</button></section>\n      <section class="tier featured"><h2>Team</h2><p class="price">$29</p><button>Choose</button></section>\n      <section class="tier"><h2>Business</h2><p class="price">$99</p><button>Choose</button></section>\n    </main>\n  </body>\n</html>\n`,
          "site/style.css": `body { margin: 0; padding: 32px; font-family: system-ui, sans-serif; background: #ffffff; color: #0f172a; text-align: center; }\n.grid { display: flex; gap: 32px; justify-content: center; }\n.tier { border: 1px solid #cbd5e1; border-radius: 12px; padding: 32px; width: 220px; }\n.featured { border: 2px solid #2563eb; }\nbutton { background: #2563eb; color: #fff; border: 0; border-radius: 12px; padding: 8px 16px; }\n`,
        },
        summary: "Wrote the pricing page (site/index.html, site/style.css).",
      },
    ],
  },
};

/** Every recorded scenario. */
export const ARCHITECT_SCENARIOS = [SOCIAL_WORLD, DESIGN_FROM_REFERENCE];

/** The reference page of design-from-reference (serve it as /pricing.html): no fonts to fetch, no script, so its screenshot is the same every time. */
export const REFERENCE_PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <title>Plans</title>
    <style>
      body { margin: 0; padding: 64px; background: #0f172a; color: #f8fafc; font-family: sans-serif; }
      h1 { text-align: center; font-size: 40px; }
      .grid { display: flex; gap: 32px; justify-content: center; }
      .card { width: 280px; height: 360px; border-radius: 12px; background: #1e293b; padding: 32px; }
      .card.featured { border: 3px solid #38bdf8; transform: translateY(-16px); }
      .price { font-size: 32px; font-weight: 700; color: #38bdf8; }
    </style>
  </head>
  <body>
    <h1>Simple plans</h1>
    <div class="grid">
      <div class="card"><h2>Starter</h2><p class="price">$9</p></div>
      <div class="card featured"><h2>Team</h2><p class="price">$29</p></div>
      <div class="card"><h2>Business</h2><p class="price">$99</p></div>
    </div>
  </body>
</html>
`;
