// Draws the world on the canvas and wires the controls; the rules are in world.js.
import { createWorld, moveTo, nearby, say, step, TILE } from "./world.js";

const canvas = document.getElementById("world");
const ctx = canvas.getContext("2d");
const world = createWorld({ cols: canvas.width / TILE, rows: canvas.height / TILE, seed: 4 });
const player = world.avatars.find((a) => a.player);

function draw() {
  for (let y = 0; y < world.rows; y++) {
    for (let x = 0; x < world.cols; x++) {
      ctx.fillStyle = world.walls[y][x] ? "#566573" : (x + y) % 2 === 0 ? "#27ae60" : "#2ecc71";
      ctx.fillRect(x * TILE, y * TILE, TILE, TILE);
    }
  }
  for (const a of world.avatars) {
    const cx = a.x * TILE + TILE / 2;
    const cy = a.y * TILE + TILE / 2;
    ctx.fillStyle = a.color;
    ctx.beginPath();
    ctx.arc(cx, cy, TILE / 3, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = "#fff";
    ctx.font = "11px system-ui";
    ctx.textAlign = "center";
    ctx.fillText(a.name, cx, cy - TILE / 2);
  }
  // Bubbles last, so no avatar is drawn over one.
  for (const a of world.avatars) {
    if (!a.speech) continue;
    const cx = a.x * TILE + TILE / 2;
    const top = a.y * TILE - 20;
    const w = ctx.measureText(a.speech.text).width + 12;
    ctx.fillStyle = "rgba(255, 255, 255, 0.85)";
    ctx.fillRect(cx - w / 2, top, w, 16);
    ctx.fillStyle = "#17202a";
    ctx.fillText(a.speech.text, cx, top + 12);
  }
}

canvas.addEventListener("click", (e) => {
  const box = canvas.getBoundingClientRect();
  moveTo(player, world, Math.floor(((e.clientX - box.left) / box.width) * world.cols), Math.floor(((e.clientY - box.top) / box.height) * world.rows));
});
const KEYS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
window.addEventListener("keydown", (e) => {
  const d = KEYS[e.key];
  if (!d) return;
  e.preventDefault();
  moveTo(player, world, Math.round(player.x) + d[0], Math.round(player.y) + d[1]);
});

let last = performance.now();
function frame(now) {
  step(world, Math.min(0.1, (now - last) / 1000));
  // Avatars that meet say hello: a place to start conversations from.
  for (const a of world.avatars) if (!a.player && !a.speech && nearby(world, a, 1.5).length > 0) say(world, a, "Hello!");
  last = now;
  draw();
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
