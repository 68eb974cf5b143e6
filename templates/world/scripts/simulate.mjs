// Runs the world's rules for a simulated minute and checks them: avatars move, never stand in a wall or leave
// the map, the player reaches the tile it is sent to, and the same seed gives the same world.
import { createWorld, isFree, moveTo, nearby, say, step } from "../site/world.js";

const failures = [];
const run = (seed) => {
  const world = createWorld({ seed });
  const start = world.avatars.map((a) => ({ x: a.x, y: a.y }));
  for (let i = 0; i < 600; i++) {
    step(world, 0.1);
    for (const a of world.avatars) {
      if (!isFree(world, Math.round(a.x), Math.round(a.y))) failures.push(`${a.name} stands in a wall or off the map at ${a.x.toFixed(2)},${a.y.toFixed(2)} (step ${i})`);
    }
  }
  const moved = world.avatars.filter((a, i) => a.x !== start[i].x || a.y !== start[i].y).length;
  if (moved < world.avatars.length - 1) failures.push(`only ${moved} of ${world.avatars.length} avatars moved in a minute`);
  return world;
};
const a = run(4);
const b = run(4);
if (JSON.stringify(a.avatars) !== JSON.stringify(b.avatars)) failures.push("the same seed gave two different worlds");

const world = createWorld({ seed: 7 });
const player = world.avatars.find((p) => p.player);
// A neighbouring free tile is always reachable in a straight line.
const home = { x: Math.round(player.x), y: Math.round(player.y) };
const next = [[1, 0], [-1, 0], [0, 1], [0, -1]].map(([dx, dy]) => ({ x: home.x + dx, y: home.y + dy })).find((t) => isFree(world, t.x, t.y));
if (next) {
  moveTo(player, world, next.x, next.y);
  for (let i = 0; i < 50; i++) step(world, 0.1);
  if (player.x !== next.x || player.y !== next.y) failures.push(`the player was sent to ${next.x},${next.y} and is at ${player.x},${player.y}`);
}
const [first, second] = world.avatars;
second.x = first.x + 1;
second.y = first.y;
if (!nearby(world, first, 1.5).includes(second)) failures.push("an avatar one tile away is not nearby");
if (nearby(world, first, 1.5).includes(first)) failures.push("an avatar is its own neighbour");
say(world, first, "Hi", 1);
step(world, 0.5);
if (first.speech?.text !== "Hi") failures.push("a speech bubble vanished before its time");
step(world, 0.6);
if (first.speech !== null) failures.push("a speech bubble outlived its time");
moveTo(player, world, 0, 0);
if (player.target.x === 0 && player.target.y === 0) failures.push("a wall tile was accepted as a target");

if (failures.length > 0) {
  for (const f of failures.slice(0, 20)) console.error(`simulate: ${f}`);
  process.exit(1);
}
console.log(`simulate: ${a.avatars.length} avatars walked for a minute without entering a wall`);
